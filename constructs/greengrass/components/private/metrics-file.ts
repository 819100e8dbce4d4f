/** The file in a model component's `{work:path}` that the server appends its EMF metric lines to. */
export const MODEL_METRICS_FILE = 'modelfleet-metrics.log';
/** The log manager's pattern of that file and its rotated copies. */
export const MODEL_METRICS_FILE_REGEX = 'modelfleet-metrics\\w*.log';
