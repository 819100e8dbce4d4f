/**
 * Error codes of the model store (`ModelStore`, `ModelStore.fromBucket`, `StoredModel`): each code's meaning and fix. `constructs/ERRORS.md` is written from these tables
 * (`npm run docs:errors`); a code is never reused for another problem.
 */
export const MODEL_STORE_ERRORS = {
  ModelContractRequired:
    'A model from an S3 object cannot be read at synth, so its contract must be declared. Pass contract: ModelContract.of({ inputs, outputs }) to ModelSource.fromBucket.',
  ModelNameDuplicate:
    'A model of this name is already in the store: names are the models/<name>/ prefix. Give each model its own name.',
  ModelNameInvalid:
    'A model name must be 1 to 63 lower-case letters, digits or -, starting and ending with a letter or digit (it names S3 prefixes, endpoints and components). Rename it, e.g. iris-classifier.',
  ModelNotInStore:
    'stageFile was given a model that was not added to this store. Call addModel on this store first and pass the StoredModel it returns.',
  ModelSizeRequired:
    'A model from an S3 object has no declared size, which the devices and the upload need. Pass sizeBytes to ModelSource.fromBucket.',
  ModelStoreDurationInvalid:
    'A retention or expiration period of the store is not a whole number of days, at least 1 (S3 lifecycle rules count in days). Give e.g. Duration.days(30).',
  ModelStoreReplicationKeyWithoutBucket:
    'replicationDestinationKey is set without replicationDestinationBucket. Set both (replicate to that bucket, encrypted with that key) or neither.',
  ModelStoreUploadTooLarge:
    'The store\'s single upload function would need more ephemeral storage than it has for all the local models (twice their size plus 256 MiB). Raise uploadEphemeralStorageSize (at most 10 GiB) or spread the models over two stores.',
  ModelVersionInvalid:
    'A model version must be 1 to 64 letters, digits, ., _ or - (it is an S3 prefix and a component version). Fix the version, or leave it unset to use the sha256 prefix.',
  ModelVersionRequired:
    'The model\'s sha256 is a token, so no version can be derived from it. Pass a literal version in AddModelOptions.',
  PublishedFileDuplicate:
    'publishFile was called twice for one key with different contents; the second would overwrite the first. Publish each key once, or name files by their content hash.',
  PublishedFileKeyInvalid:
    'A published file\'s key must be /-separated names of letters, digits, ., _ or - (no . or .. parts), known at synth, and not under models/ (which only addModel and stageFile write). Fix the key.',
  StagedFileDuplicate:
    'stageFile was called twice for one file of a model with different contents. Stage each file once per model version.',
  StagedFileNameInvalid:
    'A staged file name must be a plain name of letters, digits, ., _ or - (no /, not starting with .), and not model.onnx or contract.json, which the store writes itself. Rename the file.',
} as const;
