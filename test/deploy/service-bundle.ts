// A structural check of SMF manifests against the service_bundle DTD's
// content models (illumos usr/src/cmd/svc/dtd/service_bundle.dtd.1), for the
// elements Herald's manifests use: child order and multiplicity, required
// attributes, and the enumerated attribute values. xmllint has already
// checked the file is well-formed XML.

export interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

/** Elements, attributes and text of a well-formed document (no entities beyond the five predefined). */
export function parseXml(text: string): XmlElement {
  const body = text.replace(/<\?[\s\S]*?\?>/g, '').replace(/<!--[\s\S]*?-->/g, '').replace(/<!DOCTYPE[^>]*>/, '');
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  for (const m of body.matchAll(/<(\/?)([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*"[^"]*")*)\s*(\/?)>|([^<]+)/g)) {
    const top = stack.at(-1)!;
    if (m[5] !== undefined) { top.text += m[5].trim(); continue; }
    if (m[1]) { if (stack.pop()?.name !== m[2]) throw new Error(`mismatched </${m[2]}>`); continue; }
    const attrs: Record<string, string> = {};
    for (const a of m[3]!.matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]!] = a[2]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const el: XmlElement = { name: m[2]!, attrs, children: [], text: '' };
    top.children.push(el);
    if (!m[4]) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  return root;
}

type Count = '?' | '*' | '1' | '+';
interface Model { children: [string, Count][]; required: string[]; optional?: string[]; enums?: Record<string, string[]> }

const BOOL = ['true', 'false'];
const TYPES = ['count', 'integer', 'opaque', 'host', 'hostname', 'net_address_v4', 'net_address_v6', 'time', 'astring', 'ustring', 'boolean', 'fmri', 'uri'];
const MODELS: Record<string, Model> = {
  service_bundle: { children: [['service', '*']], required: ['type', 'name'] },
  service: {
    children: [['create_default_instance', '?'], ['single_instance', '?'], ['restarter', '?'], ['dependency', '*'], ['dependent', '*'], ['method_context', '?'],
      ['exec_method', '*'], ['property_group', '*'], ['instance', '*'], ['stability', '?'], ['template', '?']],
    required: ['name', 'version', 'type'], enums: { type: ['service', 'restarter', 'milestone'] },
  },
  create_default_instance: { children: [], required: ['enabled'], enums: { enabled: BOOL } },
  single_instance: { children: [], required: [] },
  dependency: {
    children: [['service_fmri', '*'], ['stability', '?'], ['propval', '*']], required: ['name', 'grouping', 'restart_on', 'type'], optional: ['delete'],
    enums: { grouping: ['require_all', 'require_any', 'exclude_all', 'optional_all'], restart_on: ['error', 'restart', 'refresh', 'none'] },
  },
  service_fmri: { children: [], required: ['value'] },
  method_context: { children: [['method_credential', '?'], ['method_environment', '?']], required: [], optional: ['working_directory', 'project', 'resource_pool'] },
  method_credential: { children: [], required: ['user'], optional: ['group', 'supp_groups', 'privileges', 'limit_privileges'] },
  method_environment: { children: [['envvar', '+']], required: [] },
  envvar: { children: [], required: ['name', 'value'] },
  exec_method: { children: [['method_context', '?'], ['stability', '?'], ['propval', '*']], required: ['type', 'name', 'exec', 'timeout_seconds'], optional: ['delete'], enums: { type: ['method', 'monitor'] } },
  property_group: { children: [['stability', '?'], ['propval', '*']], required: ['name', 'type'], optional: ['delete'] },
  propval: { children: [], required: ['name', 'type', 'value'], optional: ['override'], enums: { type: TYPES } },
  stability: { children: [], required: ['value'], enums: { value: ['Standard', 'Stable', 'Evolving', 'Unstable', 'External', 'Obsolete'] } },
  template: { children: [['common_name', '1'], ['description', '?']], required: [] },
  common_name: { children: [['loctext', '+']], required: [] },
  description: { children: [['loctext', '+']], required: [] },
  loctext: { children: [], required: ['xml:lang'] },
};

/** Every way `el` (and what is under it) departs from the content models; empty when it conforms. */
export function serviceBundleProblems(el: XmlElement, path = el.name): string[] {
  const model = MODELS[el.name];
  if (!model) return [`${path}: <${el.name}> is not an element this check knows (or not allowed here)`];
  const problems: string[] = [];
  for (const a of model.required) if (el.attrs[a] === undefined) problems.push(`${path}: missing attribute ${a}`);
  for (const a of Object.keys(el.attrs)) if (!model.required.includes(a) && !model.optional?.includes(a)) problems.push(`${path}: unknown attribute ${a}`);
  for (const [a, values] of Object.entries(model.enums ?? {})) {
    const v = el.attrs[a];
    if (v !== undefined && !values.includes(v)) problems.push(`${path}: ${a}="${v}" is not one of ${values.join(', ')}`);
  }
  // Children must follow the model's sequence, each within its multiplicity.
  let i = 0;
  for (const [name, count] of model.children) {
    let n = 0;
    while (el.children[i]?.name === name) { n++; i++; }
    if ((count === '1' || count === '+') && n === 0) problems.push(`${path}: missing <${name}>`);
    if ((count === '1' || count === '?') && n > 1) problems.push(`${path}: more than one <${name}>`);
  }
  if (i < el.children.length) problems.push(`${path}: <${el.children[i]!.name}> out of order or not allowed in <${el.name}>`);
  if (el.name === 'loctext' ? el.text === '' : el.text !== '') problems.push(`${path}: ${el.name === 'loctext' ? 'empty text' : 'unexpected text'}`);
  el.children.forEach((c, k) => problems.push(...serviceBundleProblems(c, `${path}/${c.name}[${k}]`)));
  return problems;
}
