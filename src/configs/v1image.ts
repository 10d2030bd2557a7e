// Docker 1.10's V1Image struct as Go decoded and re-encoded it (formats.md §3.3.2): used for the
// fallback normalisation of old configs and for the history entry. Go semantics reproduced:
// case-insensitive key match, null leaves the zero value, a type mismatch aborts the image.
import { GoMap, GoStruct, goString, Raw, type GoValue } from '../lib/gojson/encode.js';
import { goTimeReformat } from '../lib/gojson/time.js';

export class V1DecodeError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Kind = 'string' | 'bool' | 'int' | 'time' | 'strslice' | 'strings' | 'set' | 'strmap' | 'config';

interface FieldSpec {
  key: string;
  kind: Kind;
  omitEmpty: boolean;
}

const f = (key: string, kind: Kind, omitEmpty = false): FieldSpec => ({ key, kind, omitEmpty });

const CONTAINER_CONFIG: FieldSpec[] = [
  f('Hostname', 'string'), f('Domainname', 'string'), f('User', 'string'),
  f('AttachStdin', 'bool'), f('AttachStdout', 'bool'), f('AttachStderr', 'bool'),
  f('ExposedPorts', 'set', true), f('PublishService', 'string', true),
  f('Tty', 'bool'), f('OpenStdin', 'bool'), f('StdinOnce', 'bool'),
  f('Env', 'strings'), f('Cmd', 'strslice'), f('ArgsEscaped', 'bool', true), f('Image', 'string'),
  f('Volumes', 'set'), f('WorkingDir', 'string'), f('Entrypoint', 'strslice'),
  f('NetworkDisabled', 'bool', true), f('MacAddress', 'string', true), f('OnBuild', 'strings'),
  f('Labels', 'strmap'), f('StopSignal', 'string', true),
];

const V1_IMAGE: FieldSpec[] = [
  f('id', 'string', true), f('parent', 'string', true), f('comment', 'string', true),
  f('created', 'time'), f('container', 'string', true), f('container_config', 'config'),
  f('docker_version', 'string', true), f('author', 'string', true), f('config', 'config', true),
  f('architecture', 'string', true), f('os', 'string', true), f('Size', 'int', true),
];

/** A decoded struct: field key → decoded value (undefined = Go zero value). */
export type Decoded = Map<string, unknown>;

function typeName(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function decodeValue(spec: FieldSpec, v: Json, path: string): unknown {
  const bad = (): never => {
    throw new V1DecodeError(`json: cannot unmarshal ${typeName(v)} into ${path} (${spec.kind})`);
  };
  if (v === null) {
    if (spec.kind === 'time') bad(); // Go 1.5's time.Time.UnmarshalJSON rejects null
    return spec.kind === 'config' ? null : undefined;
  }
  switch (spec.kind) {
    case 'string':
      return typeof v === 'string' ? v : bad();
    case 'bool':
      return typeof v === 'boolean' ? v : bad();
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? v : bad();
    case 'time':
      if (typeof v !== 'string') bad();
      try {
        return goTimeReformat(v as string);
      } catch (e) {
        throw new V1DecodeError(`${path}: ${(e as Error).message}`);
      }
    case 'strslice':
      if (typeof v === 'string') return [v];
      return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : bad();
    case 'strings':
      return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : bad();
    case 'set':
      if (typeof v !== 'object' || Array.isArray(v)) bad();
      for (const x of Object.values(v as object)) if (x !== null && (typeof x !== 'object' || Array.isArray(x))) bad();
      return Object.keys(v as object);
    case 'strmap':
      if (typeof v !== 'object' || Array.isArray(v)) bad();
      for (const x of Object.values(v as object)) if (x !== null && typeof x !== 'string') bad();
      return new Map(Object.entries(v as Record<string, string | null>).map(([k, x]) => [k, x ?? '']));
    case 'config':
      if (typeof v !== 'object' || Array.isArray(v)) bad();
      return decodeStruct(CONTAINER_CONFIG, v as Record<string, Json>, path);
  }
}

function decodeStruct(specs: FieldSpec[], obj: Record<string, Json>, path: string): Decoded {
  const out: Decoded = new Map();
  for (const [k, v] of Object.entries(obj)) {
    const spec = specs.find((s) => s.key === k) ?? specs.find((s) => s.key.toLowerCase() === k.toLowerCase());
    if (!spec) continue; // unknown keys are dropped
    out.set(spec.key, decodeValue(spec, v, `${path}.${spec.key}`));
  }
  return out;
}

export function decodeV1Image(raw: Buffer): Decoded {
  let obj: Json;
  try {
    obj = JSON.parse(raw.toString('utf8')) as Json;
  } catch (e) {
    throw new V1DecodeError(`invalid JSON: ${(e as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new V1DecodeError('v1 image JSON is not an object');
  return decodeStruct(V1_IMAGE, obj, 'V1Image');
}

function isEmpty(kind: Kind, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (kind === 'string') return v === '';
  if (kind === 'bool') return v === false;
  if (kind === 'int') return v === 0;
  if (kind === 'set' || kind === 'strings' || kind === 'strslice') return (v as unknown[]).length === 0;
  if (kind === 'strmap') return (v as Map<string, string>).size === 0;
  return false;
}

function encodeValue(spec: FieldSpec, v: unknown): GoValue {
  switch (spec.kind) {
    case 'string':
      return (v as string | undefined) ?? '';
    case 'bool':
      return (v as boolean | undefined) ?? false;
    case 'int':
      return (v as number | undefined) ?? 0;
    case 'time':
      return (v as string | undefined) ?? '0001-01-01T00:00:00Z';
    case 'strslice':
    case 'strings':
      return v === undefined ? null : (v as string[]);
    case 'set':
      return v === undefined ? null : new GoMap(new Map((v as string[]).map((k) => [k, new GoStruct([])])));
    case 'strmap':
      return v === undefined ? null : new GoMap(new Map(v as Map<string, string>));
    case 'config':
      return encodeStruct(CONTAINER_CONFIG, (v as Decoded | undefined | null) ?? new Map());
  }
}

function encodeStruct(specs: FieldSpec[], d: Decoded): GoStruct {
  const fields: Array<[string, GoValue]> = [];
  for (const spec of specs) {
    const v = d.get(spec.key);
    if (spec.omitEmpty && isEmpty(spec.kind, v)) continue;
    fields.push([spec.key, encodeValue(spec, v)]);
  }
  return new GoStruct(fields);
}

/** The fallback re-serialisation of a v1 image (json.Marshal of the decoded V1Image). */
export function encodeV1Image(d: Decoded): GoStruct {
  return encodeStruct(V1_IMAGE, d);
}

/** One history entry (HistoryFromConfig, formats.md §3.2), struct order, as raw Go JSON. */
export function historyEntry(d: Decoded): Raw {
  const cc = d.get('container_config') as Decoded | undefined | null;
  const cmd = (cc?.get('Cmd') as string[] | undefined) ?? [];
  const parts: string[] = [`"created":${goString((d.get('created') as string | undefined) ?? '0001-01-01T00:00:00Z')}`];
  const author = (d.get('author') as string | undefined) ?? '';
  const createdBy = cmd.join(' ');
  const comment = (d.get('comment') as string | undefined) ?? '';
  if (author) parts.push(`"author":${goString(author)}`);
  if (createdBy) parts.push(`"created_by":${goString(createdBy)}`);
  if (comment) parts.push(`"comment":${goString(comment)}`);
  return new Raw(Buffer.from(`{${parts.join(',')}}`, 'utf8'));
}
