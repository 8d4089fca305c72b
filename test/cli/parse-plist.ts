// A tiny XML property-list reader, strict enough to fail on a malformed plist: every tag must
// close, every <key> must be followed by a value. plutil is not on Linux; this stands in for it.
export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

export function parsePlist(xml: string): PlistValue {
  const body = /^<\?xml[^>]*\?>\s*(?:<!DOCTYPE plist[^>]*>\s*)?<plist version="1\.0">([\s\S]*)<\/plist>\s*$/.exec(xml);
  if (!body) throw new Error('not an XML plist: expected <?xml ...?>, <!DOCTYPE plist ...> and <plist version="1.0">');
  const tokens = [...body[1]!.matchAll(/<(\/?)([a-z]+)(\/?)>|([^<]+)/g)].filter((token) => token[4] === undefined || token[4].trim() !== "");
  let index = 0;

  const expectClose = (name: string) => {
    const token = tokens[index++];
    if (!token || token[1] !== "/" || token[2] !== name) throw new Error(`expected </${name}>, found ${token?.[0] ?? "the end"}`);
  };
  const text = (name: string): string => {
    const token = tokens[index];
    const value = token && token[4] !== undefined ? (index++, token[4]) : "";
    expectClose(name);
    return value.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  };
  const value = (): PlistValue => {
    const token = tokens[index++];
    if (!token || token[4] !== undefined || token[1] === "/") throw new Error(`expected a value, found ${token?.[0] ?? "the end"}`);
    const name = token[2]!;
    if (token[3] === "/") {
      if (name === "true" || name === "false") return name === "true";
      throw new Error(`unexpected <${name}/>`);
    }
    if (name === "string") return text("string");
    if (name === "integer") return Number(text("integer"));
    if (name === "array") {
      const out: PlistValue[] = [];
      while (!(tokens[index]?.[1] === "/" && tokens[index]?.[2] === "array")) out.push(value());
      expectClose("array");
      return out;
    }
    if (name === "dict") {
      const out: Record<string, PlistValue> = {};
      while (!(tokens[index]?.[1] === "/" && tokens[index]?.[2] === "dict")) {
        const key = tokens[index++];
        if (!key || key[2] !== "key" || key[1] === "/") throw new Error(`expected <key>, found ${key?.[0] ?? "the end"}`);
        const name = text("key");
        if (name in out) throw new Error(`duplicate key ${name}`);
        out[name] = value();
      }
      expectClose("dict");
      return out;
    }
    throw new Error(`unknown plist element <${name}>`);
  };

  const root = value();
  if (index !== tokens.length) throw new Error(`unexpected ${tokens[index]![0]} after the root value`);
  return root;
}
