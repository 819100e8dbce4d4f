/**
 * Error codes of the model: each code's meaning and fix. `constructs/ERRORS.md` is written from
 * these tables (`npm run build`); a code is never reused for another problem.
 */
export const MODEL_ERRORS = {
  ModelAssetPathUnresolved:
    'ModelSource.fromAsset needs a literal file path, got a token; use ModelSource.fromBucket for a deploy-time location',
  ModelContractInvalid:
    'the declared model contract is invalid: <value>',
  ModelContractMismatch:
    'model file <value> does not match its declared contract: <value>. Fix the declaration (contract: ModelContract.of(...)) or the model file',
  ModelFileInvalid:
    'TODO',
  ModelFileNotFound:
    'model file <value> does not exist; check the path given to ModelSource.fromAsset',
  ModelSha256Invalid:
    'sha256 of s3 object \'<value>\' must be 64 lower-case hex characters, got \'<value>\'; compute it with sha256sum',
  ModelSha256Required:
    'the contract of model \'<value>\' was not read from a file, so its sha256 is unknown; pass the sha256',
  ModelSizeInvalid:
    'sizeBytes of s3 object \'<value>\' must be a positive integer, got <value>',
  ModelTensorTypeUnsupported:
    '<value>',
} as const;
