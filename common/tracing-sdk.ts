// The OpenTelemetry SDK of one process, loaded by tracing.ts only when tracing is on: a NodeTracerProvider
// (sampler and span limits from OTEL_TRACES_SAMPLER / OTEL_SPAN_*), batch export (OTEL_BSP_*) to OTLP over
// http/protobuf (OTEL_EXPORTER_OTLP_*) and/or the console, W3C trace context as the only propagator, and
// the resource from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES over our service name and version.
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, hostDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { logger, type Logger } from './log.js';
import type { Tracing, TracesExporter } from './tracing.js';
import { BUILD_VERSION } from './version.js';

/** The SDK's own problems (an unreachable collector, a full queue) go to our log as warnings, never to a caller. */
function diagTo(log: Logger): DiagLogger {
  const warn = (message: string, ...args: unknown[]) => log.warn({ args: args.map(String).slice(0, 4) }, `opentelemetry: ${message}`);
  const quiet = () => undefined;
  return { error: warn, warn, info: quiet, debug: quiet, verbose: quiet };
}

export async function startSdk(o: { serviceName: string; exporters: TracesExporter[]; exporter?: SpanExporter; log?: Logger }): Promise<Tracing> {
  const log = o.log ?? logger('tracing');
  diag.setLogger(diagTo(log), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  const processors: SpanProcessor[] = [];
  // Host and env only: the process detector would copy the command line into every trace.
  const detected = detectResources({ detectors: [envDetector, hostDetector] });
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: o.serviceName, [ATTR_SERVICE_VERSION]: BUILD_VERSION }).merge(detected);
  await resource.waitForAsyncAttributes?.(); // host.id is read from the machine id file
  if (o.exporter) processors.push(new SimpleSpanProcessor(o.exporter));
  for (const e of o.exporters) processors.push(e === 'otlp' ? new BatchSpanProcessor(new OTLPTraceExporter()) : new SimpleSpanProcessor(new ConsoleSpanExporter()));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  log.info({ exporters: o.exporters, service: resource.attributes[ATTR_SERVICE_NAME] }, 'tracing on');
  return {
    enabled: true,
    shutdown: () => provider.shutdown().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'tracing shutdown failed')),
  };
}
