import { checkLimit, type Limits } from '../../core/index.js';
import { WT, expectWire, forEachField, int, invalid, str, varint, type Field } from './wire.js';

/** An operator set the model imports. */
export interface OnnxOpset {
  readonly domain: string;
  readonly version: number;
}

/** A node anywhere in the model: main graph, sub-graphs in attributes, training graphs, functions. */
export interface OnnxNode {
  readonly opType: string;
  readonly domain: string;
  readonly name?: string;
  /** Where it is: `graph`, `graph/If_0.then_branch`, `function:my.domain/Foo`, `training[0].algorithm`. */
  readonly scope: string;
}

/** A tensor whose bytes live in another file (TensorProto.data_location = EXTERNAL). Attacker-controlled. */
export interface OnnxExternalData {
  readonly tensor?: string;
  readonly location: string;
  readonly offset?: number;
  readonly length?: number;
  readonly scope: string;
}

/** A tensor stored in the model (initializer, attribute tensor, sparse values/indices). */
export interface OnnxTensor {
  readonly name?: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly external: boolean;
  readonly scope: string;
}

/** The security-relevant parts of an ONNX ModelProto. */
export interface OnnxModel {
  readonly irVersion?: number;
  readonly producerName?: string;
  readonly opsetImports: readonly OnnxOpset[];
  readonly nodes: readonly OnnxNode[];
  readonly tensors: readonly OnnxTensor[];
  readonly externalData: readonly OnnxExternalData[];
  /** Domains of model-local functions (their ops are defined in the model itself). */
  readonly functionDomains: readonly string[];
}

// Field numbers from onnx/onnx.proto (IR version 10).
const MODEL = { IR_VERSION: 1, PRODUCER_NAME: 2, GRAPH: 7, OPSET_IMPORT: 8, TRAINING_INFO: 20, FUNCTIONS: 25 } as const;
const OPSET = { DOMAIN: 1, VERSION: 2 } as const;
const GRAPH = { NODE: 1, NAME: 2, INITIALIZER: 5, SPARSE_INITIALIZER: 15 } as const;
const NODE = { NAME: 3, OP_TYPE: 4, ATTRIBUTE: 5, DOMAIN: 7 } as const;
const ATTR = { NAME: 1, T: 5, G: 6, TENSORS: 10, GRAPHS: 11, SPARSE_TENSOR: 22, SPARSE_TENSORS: 23 } as const;
const TENSOR = { DIMS: 1, DATA_TYPE: 2, NAME: 8, EXTERNAL_DATA: 13, DATA_LOCATION: 14 } as const;
const SPARSE = { VALUES: 1, INDICES: 2 } as const;
const ENTRY = { KEY: 1, VALUE: 2 } as const;
const TRAINING = { INITIALIZATION: 1, ALGORITHM: 2 } as const;
const FUNCTION = { NAME: 1, NODE: 7, OPSET_IMPORT: 9, DOMAIN: 10, ATTRIBUTE_PROTO: 11 } as const;
const DATA_LOCATION_EXTERNAL = 1;
/** Deepest nesting of graphs in attributes (If/Loop/Scan bodies); real models use a handful. */
export const MAX_ONNX_GRAPH_DEPTH = 64;

class Walk {
  readonly nodes: OnnxNode[] = [];
  readonly tensors: OnnxTensor[] = [];
  readonly externalData: OnnxExternalData[] = [];
  readonly opsetImports: OnnxOpset[] = [];
  readonly functionDomains: string[] = [];
  items = 0;
  constructor(readonly b: Uint8Array, readonly limits: Limits) {}

  count(at: number): void {
    this.items++;
    checkLimit('maxContainerItems', this.items, this.limits.maxContainerItems, { offset: at });
  }

  sub(f: Field): [number, number] {
    expectWire(f, WT.LEN);
    return [f.start, f.end];
  }

  opset(f: Field, into: OnnxOpset[]): void {
    let domain = '';
    let version = 0;
    forEachField(this.b, ...this.sub(f), (g) => {
      if (g.no === OPSET.DOMAIN) domain = str(this.b, g);
      else if (g.no === OPSET.VERSION) version = int(g);
    });
    into.push({ domain, version });
  }

  graph(f: Field, scope: string, depth: number): void {
    if (depth > Math.min(MAX_ONNX_GRAPH_DEPTH, this.limits.maxValueDepth)) throw invalid('graphs nested too deeply', f.at);
    forEachField(this.b, ...this.sub(f), (g) => {
      if (g.no === GRAPH.NODE) this.node(g, scope, depth);
      else if (g.no === GRAPH.INITIALIZER) this.tensor(g, `${scope}.initializer`);
      else if (g.no === GRAPH.SPARSE_INITIALIZER) this.sparse(g, `${scope}.sparse_initializer`);
    });
  }

  node(f: Field, scope: string, depth: number): void {
    this.count(f.at);
    let opType = '';
    let domain = '';
    let name: string | undefined;
    const attrs: Field[] = [];
    forEachField(this.b, ...this.sub(f), (g) => {
      if (g.no === NODE.OP_TYPE) opType = str(this.b, g);
      else if (g.no === NODE.DOMAIN) domain = str(this.b, g);
      else if (g.no === NODE.NAME) name = str(this.b, g);
      else if (g.no === NODE.ATTRIBUTE) attrs.push(g);
    });
    this.nodes.push({ opType, domain, ...(name === undefined ? {} : { name }), scope });
    for (const a of attrs) this.attribute(a, `${scope}/${name ?? opType}`, depth);
  }

  attribute(f: Field, scope: string, depth: number): void {
    let attrName = '';
    const later: Field[] = [];
    forEachField(this.b, ...this.sub(f), (g) => {
      if (g.no === ATTR.NAME) attrName = str(this.b, g);
      else if (([ATTR.T, ATTR.G, ATTR.TENSORS, ATTR.GRAPHS, ATTR.SPARSE_TENSOR, ATTR.SPARSE_TENSORS] as number[]).includes(g.no)) later.push(g);
    });
    const at = `${scope}.${attrName}`;
    for (const g of later) {
      if (g.no === ATTR.G || g.no === ATTR.GRAPHS) this.graph(g, at, depth + 1);
      else if (g.no === ATTR.T || g.no === ATTR.TENSORS) this.tensor(g, at);
      else this.sparse(g, at);
    }
  }

  sparse(f: Field, scope: string): void {
    forEachField(this.b, ...this.sub(f), (g) => {
      if (g.no === SPARSE.VALUES) this.tensor(g, `${scope}.values`);
      else if (g.no === SPARSE.INDICES) this.tensor(g, `${scope}.indices`);
    });
  }

  tensor(f: Field, scope: string): void {
    this.count(f.at);
    let name: string | undefined;
    let dataType = 0;
    let location = 0;
    const dims: number[] = [];
    const entries: [string, string, number][] = [];
    forEachField(this.b, ...this.sub(f), (g) => {
      if (g.no === TENSOR.NAME) name = str(this.b, g);
      else if (g.no === TENSOR.DATA_TYPE) dataType = int(g);
      else if (g.no === TENSOR.DATA_LOCATION) location = int(g);
      else if (g.no === TENSOR.DIMS) this.dims(g, dims);
      else if (g.no === TENSOR.EXTERNAL_DATA) entries.push(this.entry(g));
    });
    const external = location === DATA_LOCATION_EXTERNAL;
    this.tensors.push({ ...(name === undefined ? {} : { name }), dataType, dims, external, scope });
    if (!external && entries.length === 0) return;
    if (!external) throw invalid('external_data entries on a tensor whose data_location is not EXTERNAL', f.at);
    this.externalData.push(externalEntry(entries, name, scope, f.at));
  }

  dims(g: Field, into: number[]): void {
    const push = (v: number, big: boolean, at: number): void => {
      if (big) throw invalid('tensor dimension out of range', at);
      into.push(v);
    };
    if (g.wt === WT.VARINT) return push(g.value, g.big, g.start);
    expectWire(g, WT.LEN);
    for (let p = g.start; p < g.end; ) {
      const [v, next, big] = varint(this.b, p, g.end);
      push(v, big, p);
      p = next;
    }
  }

  entry(f: Field): [string, string, number] {
    let key = '';
    let value = '';
    forEachField(this.b, ...this.sub(f), (g) => {
      if (g.no === ENTRY.KEY) key = str(this.b, g);
      else if (g.no === ENTRY.VALUE) value = str(this.b, g);
    });
    return [key, value, f.at];
  }

  training(f: Field, index: number): void {
    forEachField(this.b, ...this.sub(f), (g) => {
      if (g.no === TRAINING.INITIALIZATION) this.graph(g, `training[${index}].initialization`, 1);
      else if (g.no === TRAINING.ALGORITHM) this.graph(g, `training[${index}].algorithm`, 1);
    });
  }

  func(f: Field): void {
    let domain = '';
    let name = '';
    const nodes: Field[] = [];
    const defaults: Field[] = [];
    const opsets: OnnxOpset[] = [];
    forEachField(this.b, ...this.sub(f), (g) => {
      if (g.no === FUNCTION.DOMAIN) domain = str(this.b, g);
      else if (g.no === FUNCTION.NAME) name = str(this.b, g);
      else if (g.no === FUNCTION.NODE) nodes.push(g);
      else if (g.no === FUNCTION.ATTRIBUTE_PROTO) defaults.push(g);
      else if (g.no === FUNCTION.OPSET_IMPORT) this.opset(g, opsets);
    });
    this.functionDomains.push(domain);
    const scope = `function:${domain}/${name}`;
    for (const n of nodes) this.node(n, scope, 1);
    // Default attribute values may be graphs or tensors too.
    for (const a of defaults) this.attribute(a, scope, 1);
  }
}

/** external_data key/value entries (onnx/external_data_helper.py): location required; offset, length decimal. */
function externalEntry(entries: readonly [string, string, number][], tensor: string | undefined, scope: string, at: number): OnnxExternalData {
  const get = (k: string): [string, number] | undefined => {
    const all = entries.filter((e) => e[0] === k);
    if (all.length > 1) throw invalid(`external_data repeats ${k}`, all[1]![2]);
    return all[0] && [all[0][1], all[0][2]];
  };
  const location = get('location');
  if (!location) throw invalid('external tensor without a location', at);
  const numeric = (k: string): number | undefined => {
    const e = get(k);
    if (!e) return undefined;
    if (!/^[0-9]{1,15}$/.test(e[0])) throw invalid(`external_data ${k} is not a decimal integer`, e[1]);
    return Number(e[0]);
  };
  const offset = numeric('offset');
  const length = numeric('length');
  return { ...(tensor === undefined ? {} : { tensor }), location: location[0], ...(offset === undefined ? {} : { offset }), ...(length === undefined ? {} : { length }), scope };
}

/**
 * Reads the parts of an ONNX ModelProto that decide whether it is safe to load (onnx/onnx.proto):
 * IR version, opset imports, every node (main graph, sub-graphs in attributes at any depth,
 * training graphs, model-local functions) and every tensor, with external-data references.
 * Unknown fields are skipped as protobuf requires, but the whole wire structure is validated;
 * malformed input raises ONNX_INVALID (offset = the field concerned), more than
 * `maxContainerItems` nodes + tensors raises LIMIT_EXCEEDED, graphs nested deeper than
 * {@link MAX_ONNX_GRAPH_DEPTH} raise ONNX_INVALID. Tensor data is never decoded.
 */
export function readOnnx(bytes: Uint8Array, limits: Limits): OnnxModel {
  checkLimit('maxInputBytes', bytes.length, limits.maxInputBytes);
  const w = new Walk(bytes, limits);
  let irVersion: number | undefined;
  let producerName: string | undefined;
  let graphs = 0;
  let training = 0;
  forEachField(bytes, 0, bytes.length, (f) => {
    if (f.no === MODEL.IR_VERSION) irVersion = int(f);
    else if (f.no === MODEL.PRODUCER_NAME) producerName = str(bytes, f);
    else if (f.no === MODEL.OPSET_IMPORT) w.opset(f, w.opsetImports);
    else if (f.no === MODEL.GRAPH) {
      graphs++;
      w.graph(f, 'graph', 0);
    } else if (f.no === MODEL.TRAINING_INFO) w.training(f, training++);
    else if (f.no === MODEL.FUNCTIONS) w.func(f);
  });
  if (graphs === 0) throw invalid('ModelProto has no graph', 0);
  return {
    ...(irVersion === undefined ? {} : { irVersion }),
    ...(producerName === undefined ? {} : { producerName }),
    opsetImports: w.opsetImports,
    nodes: w.nodes,
    tensors: w.tensors,
    externalData: w.externalData,
    functionDomains: w.functionDomains,
  };
}
