/**
 * Error codes of the model store: each code's meaning and fix. `constructs/ERRORS.md` is written from
 * these tables (`npm run build`); a code is never reused for another problem.
 */
export const MODEL_STORE_ERRORS = {
  ModelContractRequired:
    'model \'<value>\' comes from s3 object \'<value>\', which cannot be read at synth; declare it: ModelSource.fromBucket(bucket, key, { contract: ModelContract.of({ inputs, outputs }), ... })',
  ModelNameDuplicate:
    'a model named \'<value>\' is already in this store; give each model its own name',
  ModelNameInvalid:
    'model name \'<value>\' must be 1 to 63 lower-case letters, digits or \'-\', starting and ending with a letter or digit iris',
  ModelNotInStore:
    'model \'<value>\' was not added to this store; call addModel on this store first',
  ModelSizeRequired:
    'model \'<value>\' comes from s3 object \'<value>\'; pass its sizeBytes (ModelSource.fromBucket(..., { sizeBytes }))',
  ModelStoreDurationInvalid:
    '<value> must be a whole number of days, at least 1, got <value>; e.g. Duration.days(30)',
  ModelStoreReplicationKeyWithoutBucket:
    'replicationDestinationKey is set but replicationDestinationBucket is not; set both or neither',
  ModelStoreUploadTooLarge:
    'model \'<value>\' brings the local models of this store to <value> MiB; the store\'s upload function holds them all zipped and extracted and needs <value> MiB of ephemeral storage, more than <value> MiB; raise uploadEphemeralStorageSize (at most Size.gibibytes(10)) or put some models in another ModelStore',
  ModelVersionInvalid:
    'version \'<value>\' of model \'<value>\' must be 1 to 64 letters, digits, \'.\', \'_\' or \'-\'',
  ModelVersionRequired:
    'the sha256 of model \'<value>\' is a token, so no version can be derived from it; pass options.version',
  PublishedFileDuplicate:
    'PublishedFileDuplicateModelStorePublisherstack',
  PublishedFileKeyInvalid:
    'key \'<value>\' must be \'/\'-separated names of letters, digits, \'.\', \'_\' or \'-\' (no \'.\' or \'..\' parts), known at models/',
  StagedFileDuplicate:
    'StagedFileDuplicatekeys single upload (no extra * `BucketDeployment`, so no extra bucket tag); from another stack (`options.scope`), with that stackModelStorePublisherBucketDeployment',
  StagedFileNameInvalid:
    'file name \'<value>\' must be a plain name of letters, digits, \'.\', \'_\' or \'-\', not <value>',
} as const;
