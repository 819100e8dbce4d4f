/**
 * Error codes of the serving image (`ServingImage`): each code's meaning and fix. `constructs/ERRORS.md` is written from these tables
 * (`npm run docs:errors`); a code is never reused for another problem.
 */
export const SERVING_IMAGE_ERRORS = {
  ServingImageArtifactsMissing:
    'The runtime artifacts the image is built from (dist/edge-artifacts in the package) are missing: the package was installed without them or the repository was not built. Reinstall modelfleet, run npm run build in the repository, or use ServingImage.fromRegistry(uri) with an image you built.',
  ServingImageUriEmpty:
    'ServingImage.fromRegistry got an empty image URI. Pass the full URI, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:1.0.0.',
} as const;
