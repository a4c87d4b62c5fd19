// Tracing for agent and relay, through the OpenTelemetry API only: whether the standard OTEL_* environment
// turns it on (pure, table-tested), starting the SDK (tracing-sdk.ts, loaded only when on), spans around
// async work, and the W3C trace context as a bounded carrier that the tunnel's adapters put into and take
// out of gRPC metadata. With tracing off every call here is the API's no-op: no SDK is loaded.
import { context, propagation, trace, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_K8S_CONTAINER_NAME, ATTR_K8S_NAMESPACE_NAME, ATTR_K8S_POD_NAME, ATTR_K8S_POD_UID, ATTR_RPC_METHOD, ATTR_RPC_STATUS_CODE, ATTR_RPC_SYSTEM_NAME, RPC_SYSTEM_NAME_VALUE_GRPC } from '@opentelemetry/semantic-conventions';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ConfigError } from './config.js';
import type { Logger } from './log.js';
import { BUILD_VERSION } from './version.js';

export { SpanKind };
export type { Attributes, Span };

/** Instrumentation scope of every span of this project. */
const SCOPE = 'eci-hybrid-gateway';

/** The W3C trace-context fields (https://www.w3.org/TR/trace-context/), as OTel's propagator names them. */
const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;
type TraceHeader = (typeof TRACE_HEADERS)[number];
export type TraceCarrier = Partial<Record<TraceHeader, string>>;

/**
 * Longest value taken from the network. traceparent version 00 is 55 characters (later versions may add
 * fields, hence some room); tracestate is at most 32 members in 512 characters, as OTel's own TraceState keeps.
 */
const MAX_HEADER_CHARS: Record<TraceHeader, number> = { traceparent: 128, tracestate: 512 };

export type TracesExporter = 'otlp' | 'console';

export type TracingSettings = { enabled: false; why: string } | { enabled: true; exporters: TracesExporter[] };

/** The only OTLP protocol this build ships an exporter for. */
const OTLP_PROTOCOL = 'http/protobuf';

/**
 * Whether the standard OTEL_* variables turn tracing on. Off unless OTEL_TRACES_EXPORTER names an exporter
 * (the SDK's own default would be `otlp`; a gateway that starts exporting by itself is a surprise), and off
 * whenever OTEL_SDK_DISABLED=true. Throws ConfigError naming the variable for a value this build cannot honour.
 */
export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return { enabled: false, why: 'OTEL_SDK_DISABLED=true' };
  const raw = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  if (raw === '') return { enabled: false, why: 'OTEL_TRACES_EXPORTER is not set' };
  const names = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
  if (names.includes('none')) {
    if (names.length > 1) throw new ConfigError('OTEL_TRACES_EXPORTER', `"none" cannot be combined with other exporters (${raw}); set it to none, otlp, console or otlp,console`);
    return { enabled: false, why: 'OTEL_TRACES_EXPORTER=none' };
  }
  for (const n of names) {
    if (n !== 'otlp' && n !== 'console') throw new ConfigError('OTEL_TRACES_EXPORTER', `unsupported exporter "${n}"; set it to otlp, console, otlp,console or none`);
  }
  if (names.includes('otlp')) {
    for (const key of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
      const p = env[key]?.trim();
      if (!p) continue;
      if (p !== OTLP_PROTOCOL) throw new ConfigError(key, `"${p}" is not supported: this build exports OTLP over ${OTLP_PROTOCOL} (collector port 4318); set it to ${OTLP_PROTOCOL} or unset it`);
      break; // the traces-specific variable wins over the general one
    }
  }
  return { enabled: true, exporters: names as TracesExporter[] };
}

export interface Tracing {
  readonly enabled: boolean;
  /** Flushes finished spans and stops exporting (bounded by the exporter's timeout). */
  shutdown(): Promise<void>;
}

interface SdkModule {
  startSdk(o: { serviceName: string; exporters: TracesExporter[]; exporter?: SpanExporter; log?: Logger }): Promise<Tracing>;
}

export interface StartTracingOptions {
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Exports to this exporter (each span as it ends) instead of the ones the environment names; tests. */
  exporter?: SpanExporter;
  /** How the SDK module is loaded; a test counts that an off switch never loads it. */
  loadSdk?: () => Promise<SdkModule>;
}

const OFF: Tracing = { enabled: false, shutdown: () => Promise.resolve() };

/**
 * Starts tracing for this process when the environment (or an injected exporter) asks for it; otherwise
 * returns at once without loading the SDK. Throws ConfigError (see tracingSettings) for unusable settings; an
 * SDK that fails to start is logged and leaves tracing off.
 */
export async function startTracing(serviceName: string, o: StartTracingOptions = {}): Promise<Tracing> {
  const s = tracingSettings(o.env ?? process.env);
  if (!s.enabled && !o.exporter) return OFF;
  try {
    const sdk = await (o.loadSdk ?? (() => import('./tracing-sdk.js')))();
    return await sdk.startSdk({ serviceName, exporters: s.enabled ? s.exporters : [], exporter: o.exporter, log: o.log });
  } catch (e) {
    // Tracing is an aid: a process that cannot start it runs untraced and says so.
    o.log?.warn({ err: (e as Error).message }, 'tracing could not start; running without it');
    return OFF;
  }
}

/** Span name and attributes of a gRPC call, by OTel's RPC conventions (`rpc.method` is `service/Method`). */
export function grpcSpan(service: string, method: string): { name: string; attributes: Attributes } {
  const full = `${service}/${method}`;
  return { name: full, attributes: { [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC, [ATTR_RPC_METHOD]: full } };
}

/** Ends an RPC span with its status code name (`OK`, `NOT_FOUND`, ...); a failure also sets error.type to it. */
export function endRpcSpan(span: Span, codeName: string, err?: unknown): void {
  span.setAttribute(ATTR_RPC_STATUS_CODE, codeName);
  if (err !== undefined && codeName !== 'OK') recordFailure(span, err, codeName);
  span.end();
}

/** k8s.* attributes of a pod (and container); empty values are left out. Never the spec, env or command. */
export function podAttributes(p: { namespace?: string; name?: string; uid?: string; container?: string }): Attributes {
  const a: Attributes = {};
  if (p.namespace) a[ATTR_K8S_NAMESPACE_NAME] = p.namespace;
  if (p.name) a[ATTR_K8S_POD_NAME] = p.name;
  if (p.uid) a[ATTR_K8S_POD_UID] = p.uid;
  if (p.container) a[ATTR_K8S_CONTAINER_NAME] = p.container;
  return a;
}

function tracer() {
  return trace.getTracer(SCOPE, BUILD_VERSION);
}

/** Records a failure on a span: its status, error.type and the exception event (message only, no stack). */
function recordFailure(span: Span, err: unknown, errorType?: string): void {
  const e = err instanceof Error ? err : new Error(String(err));
  span.setAttribute(ATTR_ERROR_TYPE, errorType ?? e.name ?? 'Error');
  span.addEvent('exception', { 'exception.type': e.name, 'exception.message': e.message.slice(0, 1024) });
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message.slice(0, 256) });
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; default: the active context. */
  parent?: Context;
  /** Create no span unless the parent has one (as OTel's `requireParentSpan` instrumentation option). */
  requireParent?: boolean;
  /** error.type of a failure (default: the error's name). */
  errorType?: (err: unknown) => string | undefined;
}

/**
 * Runs `fn` inside a new active span and ends it when `fn` settles; a rejection is recorded on the span and
 * rethrown unchanged. The span never changes what `fn` returns or throws.
 */
export async function withSpan<T>(name: string, o: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = o.parent ?? context.active();
  if (o.requireParent && !trace.getSpan(parent)?.isRecording()) return fn(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  const span = tracer().startSpan(name, { kind: o.kind ?? SpanKind.INTERNAL, attributes: o.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (e) {
    recordFailure(span, e, o.errorType?.(e));
    throw e;
  } finally {
    span.end();
  }
}

/** Starts a span that the caller ends (a session that outlives the call that opened it). */
export function startSpan(name: string, o: Pick<SpanOptions, 'kind' | 'attributes' | 'parent'>): { span: Span; context: Context } {
  const parent = o.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: o.kind ?? SpanKind.INTERNAL, attributes: o.attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `fn` with `ctx` active (for callbacks that start work under a span they did not open). */
export function runIn<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** The W3C trace context of the active span (nothing when tracing is off or no span is active). */
export function traceCarrier(ctx: Context = context.active()): TraceCarrier {
  if (!trace.getSpan(ctx)) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const out: TraceCarrier = {};
  for (const k of TRACE_HEADERS) if (typeof carrier[k] === 'string') out[k] = carrier[k];
  return out;
}

/**
 * The remote parent named by trace-context values read from the network, or the root context when there is
 * none or it is unusable: only strings within MAX_HEADER_CHARS, parsed by OTel's W3C propagator (which
 * ignores anything malformed). Never throws.
 */
export function contextFromCarrier(values: Partial<Record<TraceHeader, unknown>>): Context {
  try {
    const carrier: TraceCarrier = {};
    for (const k of TRACE_HEADERS) {
      const v = values[k];
      if (typeof v === 'string' && v.length <= MAX_HEADER_CHARS[k]) carrier[k] = v;
    }
    if (!carrier.traceparent) return ROOT_CONTEXT;
    return propagation.extract(ROOT_CONTEXT, carrier, getter);
  } catch {
    return ROOT_CONTEXT;
  }
}

const getter: TextMapGetter<TraceCarrier> = {
  keys: (c) => Object.keys(c),
  get: (c, k) => c[k as TraceHeader],
};
