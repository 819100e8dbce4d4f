import { FLEET_ERRORS } from '../../fleet/private/error-codes';
import { GREENGRASS_ERRORS } from '../../greengrass/private/error-codes';
import { KUBERNETES_ERRORS } from '../../kubernetes/private/error-codes';
import { MODEL_ERRORS } from '../../model/private/error-codes';
import { MODEL_STORE_ERRORS } from '../../model-store/private/error-codes';
import { SAGEMAKER_ERRORS } from '../../sagemaker/private/error-codes';
import { SERVING_IMAGE_ERRORS } from '../../serving-image/private/error-codes';

/**
 * Error codes shared by every target: the runtime settings (`RuntimeSettings`), whose ranges are the runtime's own
 * (`runtime-flags.ts`). Each code's meaning and fix; `constructs/ERRORS.md` is written from these tables.
 */
export const CORE_ERRORS = {
  RuntimeThreadsOutOfRange:
    'threads is outside the runtime\'s range for --threads (whole numbers from 1 to 256), so the server would refuse to start; give at most the cores the server gets.',
  RuntimeWorkersOutOfRange:
    'workers is outside the runtime\'s range for --workers (whole numbers from 1 to 64, and at most threads: each worker needs a thread); use one worker per 1 to 4 threads, or leave it unset.',
  RuntimeMaxBatchOutOfRange:
    'maxBatch is outside the runtime\'s range for --max-batch (whole numbers from 1 to 4096); 1 turns dynamic batching off.',
  RuntimeBatchDelayOutOfRange:
    'batchDelay is outside the runtime\'s range for --batch-delay-ms (0 to 1000 ms); a few milliseconds (the default is 2) is usual.',
  RuntimeMaxQueueOutOfRange:
    'maxQueue is outside the runtime\'s range for --max-queue (whole numbers from 1 to 1,000,000); requests beyond it get 503.',
  RuntimeMaxBodySizeOutOfRange:
    'maxBodySize is outside the runtime\'s range for --max-body-mb (0.001 to 4096 MiB); give e.g. Size.mebibytes(32).',
  RuntimeLogLevelInvalid:
    'logLevel is not one of the runtime\'s levels (debug, info, warn, error, silent); give a LogLevel value.',
} as const;

/** Every construct error code, by area, in the order `constructs/ERRORS.md` lists them. */
export const ERROR_CODE_AREAS = [
  { title: 'Runtime settings (every target)', codes: CORE_ERRORS },
  { title: 'The model (`ModelSource`, `ModelContract`)', codes: MODEL_ERRORS },
  { title: 'The model store (`ModelStore`, `StoredModel`)', codes: MODEL_STORE_ERRORS },
  { title: 'The serving image (`ServingImage`)', codes: SERVING_IMAGE_ERRORS },
  { title: 'The SageMaker endpoint (`SageMakerEndpoint`)', codes: SAGEMAKER_ERRORS },
  { title: 'The Kubernetes workload (`KubernetesModelService`)', codes: KUBERNETES_ERRORS },
  { title: 'The edge fleet (`EdgeFleet`, the Greengrass components, `EdgeFleetMonitoring`)', codes: GREENGRASS_ERRORS },
  { title: 'The whole fleet (`ModelFleet`, `ModelFleetResources`, `GoldenRequest`, `AlarmChatChannel`)', codes: FLEET_ERRORS },
] as const;

/** A registered construct error code. */
export type ErrorCode = keyof typeof CORE_ERRORS | keyof typeof MODEL_ERRORS | keyof typeof MODEL_STORE_ERRORS
  | keyof typeof SERVING_IMAGE_ERRORS | keyof typeof SAGEMAKER_ERRORS | keyof typeof KUBERNETES_ERRORS
  | keyof typeof GREENGRASS_ERRORS | keyof typeof FLEET_ERRORS;
