/** Starts and stops one runtime (model + HTTP) from a config. No environment or signal handling here (see main.ts). */
import type { AddressInfo } from 'node:net';
import type { EdgeConfig } from './config';
import { EdgeError } from './errors';
import type { EdgeHttp } from './http/server';
import { createLogger, type LineSink, type Logger } from './log';
import { EdgeMetrics } from './metrics';
import type { RequestDecoder } from './model/codec';
import { ModelInstance } from './model/instance';
import { ModelManager } from './model/manager';

export interface RuntimeOptions {
  /** Where log lines go (default: process.stdout). */
  readonly logSink?: LineSink;
  /** The compiled session worker (default: worker.js beside edge/model/instance, else dist/edge/model/worker.js). */
  readonly workerScript?: string;
  /** Debounce of model file changes (default 500 ms). */
  readonly watchDebounceMs?: number;
  readonly serverVersion?: string;
  /** JSON headers at least this large are decoded in a worker thread (default 128 KiB). */
  readonly offloadJsonBytes?: number;
}

export interface Runtime {
  /** `http://host:port` actually bound. */
  readonly url: string;
  readonly port: number;
  readonly log: Logger;
  readonly metrics: EdgeMetrics;
  readonly manager: ModelManager;
  readonly http: EdgeHttp;
  /** Reloads the model file (as SIGHUP does); resolves true when the model was swapped. */
  reload(reason?: string): Promise<boolean>;
  /** Stops accepting, waits for requests in flight (at most --drain-timeout-ms), unloads. */
  shutdown(): Promise<void>;
}

export async function startRuntime(config: EdgeConfig, opts: RuntimeOptions = {}): Promise<Runtime> {
  const t0 = performance.now();
  const log = createLogger(config.logLevel, opts.logSink ?? process.stdout);
  // the session workers start first: they load onnxruntime and the model while this thread sets up the rest
  const first = ModelInstance.spawn(ModelManager.instanceOptions(config, opts.workerScript));
  // loaded only now (node:http, node:crypto, the codecs: ~20 ms), while the worker loads onnxruntime and the model
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { EdgeHttp: Http } = require('./http/server') as typeof import('./http/server');
  const { RequestDecoder: Decoder } = require('./model/codec') as typeof import('./model/codec');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const metrics = new EdgeMetrics();
  first.setObserver(metrics);
  const manager = new ModelManager(config, log, metrics, { workerScript: opts.workerScript, debounceMs: opts.watchDebounceMs });
  const decoder: RequestDecoder = new Decoder(opts.workerScript, opts.offloadJsonBytes);
  const http: EdgeHttp = new Http({ config, manager, metrics, log, decoder, serverVersion: opts.serverVersion ?? '0.1.0' });

  try {
    await new Promise<void>((resolve, reject) => {
      http.server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new EdgeError('EDGE_ERR_CONFIG_LISTEN', `cannot listen on ${config.host}:${config.port} (${e.code ?? e.message})`)));
      http.server.listen(config.port, config.host, () => resolve());
    });
  } catch (e) {
    // never terminate a session worker while it loads onnxruntime or creates its session: onnxruntime-node may then
    // throw a C++ exception with no JS to catch it (`terminate called after throwing an instance of 'Napi::Error'`,
    // SIGABRT, exit 134 instead of this EDGE_ERR_CONFIG_LISTEN). Let the load end (or fail), then stop the worker.
    await first.loaded().catch(() => undefined);
    await first.close();
    throw e;
  }
  const port = (http.server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info('listening', { url, ready: false });

  try {
    await manager.start(first);
  } catch (e) {
    await decoder.close();
    http.server.close();
    http.server.closeAllConnections();
    throw e;
  }
  if (config.watch) manager.watch();
  let emf: import('./emf').EmfReporter | undefined;
  if (config.emfFile) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { EmfReporter } = require('./emf') as typeof import('./emf');
    emf = new EmfReporter(config, metrics, log);
    await emf.start();
  }
  log.info('ready', { url, ms_since_start: Math.round(performance.now() - t0), ms_since_process_start: Math.round(performance.now()), max_batch: config.maxBatch, max_queue: config.maxQueue, auth: config.token !== undefined });

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      const s0 = performance.now();
      log.info('draining', { active_requests: http.activeRequests });
      // the listener stays open while requests are in flight: a fresh readiness probe gets 503 (not ECONNREFUSED),
      // new inference 503 EDGE_ERR_INFER_SHUTTING_DOWN, each with Connection: close
      http.draining = true;
      http.server.closeIdleConnections();
      let timedOut = false;
      let timeout: NodeJS.Timeout | undefined;
      const timer = new Promise<void>((resolve) => {
        timeout = setTimeout(() => {
          timedOut = true;
          resolve();
        }, config.drainTimeoutMs);
        timeout.unref();
      });
      await Promise.race([http.idle(), timer]);
      clearTimeout(timeout);
      const closed = new Promise<void>((resolve) => http.server.close(() => resolve()));
      http.server.closeAllConnections();
      await closed;
      await emf?.stop();
      await manager.close();
      await decoder.close();
      log.info('stopped', { ms: Math.round(performance.now() - s0), drain_timed_out: timedOut });
    })();
    return stopping;
  };

  return { url, port, log, metrics, manager, http, reload: (reason = 'manual') => manager.reload(reason), shutdown };
}
