/**
 * Error codes of the serving image: each code's meaning and fix. `constructs/ERRORS.md` is written from
 * these tables (`npm run build`); a code is never reused for another problem.
 */
export const SERVING_IMAGE_ERRORS = {
  ServingImageArtifactsMissing:
    '<value>; or use ServingImage.fromRegistry(uri)',
  ServingImageUriEmpty:
    'fromRegistry() needs an image URI, got an empty string; pass e.g. "123456789012.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:1.0.0"',
} as const;
