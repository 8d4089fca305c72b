// JSON with comments, parsed by hand so every error can name its line: a syntax error where it
// happens, and a bad value by the line of its key. `config init` writes comments, so they parse.
export type Location = { line: number; column: number };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly location: Location,
  ) {
    super(message);
  }
}

export type LocatedJson = { value: unknown; locations: Map<string, Location> };

// Paths as "backends[1].url"; the root is "".
export function parseLocatedJson(text: string): LocatedJson {
  const locations = new Map<string, Location>();
  let index = 0;

  const location = (at = index): Location => {
    const before = text.slice(0, at);
    const line = before.split("\n").length;
    return { line, column: at - before.lastIndexOf("\n") };
  };
  const fail = (expected: string): never => {
    const found = index < text.length ? JSON.stringify(text[index]) : "the end of the file";
    throw new JsonSyntaxError(`expected ${expected}, found ${found}`, location());
  };

  const skipBlank = () => {
    while (index < text.length) {
      if (/\s/.test(text[index]!)) index++;
      else if (text.startsWith("//", index)) index = text.indexOf("\n", index) < 0 ? text.length : text.indexOf("\n", index);
      else if (text.startsWith("/*", index)) {
        const end = text.indexOf("*/", index + 2);
        if (end < 0) fail("*/ to end the comment");
        index = end + 2;
      } else break;
    }
  };

  const parseValue = (path: string): unknown => {
    skipBlank();
    if (!locations.has(path)) locations.set(path, location());
    const char = text[index];
    if (char === "{") return parseObject(path);
    if (char === "[") return parseArray(path);
    if (char === '"') return parseString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(index));
    if (!literal) fail("a value");
    index += literal![0].length;
    return JSON.parse(literal![0]);
  };

  const parseString = (): string => {
    const match = /^"(?:[^"\\\n]|\\.)*"/.exec(text.slice(index));
    if (!match) fail("a string ending on its line");
    try {
      return JSON.parse(match![0]);
    } catch {
      // A bad escape such as \x, or a raw tab: JSON.parse says which but not where.
      throw new JsonSyntaxError("invalid string: a bad \\ escape or a raw control character such as a tab", location());
    } finally {
      index += match![0].length;
    }
  };

  const parseObject = (path: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    index++;
    skipBlank();
    if (text[index] === "}") return (index++, out);
    while (true) {
      skipBlank();
      if (text[index] !== '"') fail('a "key"');
      const keyAt = location();
      const key = parseString();
      const child = path ? `${path}.${key}` : key;
      // JSON.parse would keep the last of two equal keys; a config with both is a mistake.
      if (Object.hasOwn(out, key)) throw new JsonSyntaxError(`"${key}" appears twice in this object`, keyAt);
      locations.set(child, keyAt);
      skipBlank();
      if (text[index] !== ":") fail(`":" after "${key}"`);
      index++;
      // Defined rather than assigned, so a "__proto__" key stays a key (and is reported as unknown).
      Object.defineProperty(out, key, { value: parseValue(child), enumerable: true, writable: true, configurable: true });
      skipBlank();
      if (text[index] === ",") index++;
      else if (text[index] === "}") return (index++, out);
      else fail('"," or "}"');
    }
  };

  const parseArray = (path: string): unknown[] => {
    const out: unknown[] = [];
    index++;
    skipBlank();
    if (text[index] === "]") return (index++, out);
    while (true) {
      out.push(parseValue(`${path}[${out.length}]`));
      skipBlank();
      if (text[index] === ",") index++;
      else if (text[index] === "]") return (index++, out);
      else fail('"," or "]"');
    }
  };

  const value = parseValue("");
  skipBlank();
  if (index < text.length) fail("nothing after the closing brace");
  return { value, locations };
}
