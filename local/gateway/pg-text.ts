// Conversions between JSON and Postgres text that Neon's proxy performs (proxy/src/serverless/json.rs).

/** A request parameter as the untyped text parameter Postgres receives (`null` is SQL NULL). */
export function jsonToPgParam(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === "string") return value; // sent as is: a parameter needs no escaping
  if (Array.isArray(value)) return jsonToPgArray(value);
  return JSON.stringify(value); // numbers, booleans and objects as their JSON text
}

// Inside an array literal strings must be quoted; JSON's quoting is one Postgres accepts.
function jsonToPgArray(value: unknown): string {
  if (value === null) return "NULL";
  if (Array.isArray(value)) return `{${value.map(jsonToPgArray).join(",")}}`;
  if (typeof value === "object") return JSON.stringify(JSON.stringify(value));
  return JSON.stringify(value);
}

// Without `Neon-Raw-Text-Output: true` the proxy turns these types into JSON values; every other type
// stays a string. Arrays of them become JSON arrays (element type per built-in array type OID).
type Conversion = "bool" | "int" | "float" | "json";
const scalarConversions = new Map<number, Conversion>([
  [16, "bool"],
  [21, "int"],
  [23, "int"],
  [700, "float"],
  [701, "float"],
  [114, "json"],
  [3802, "json"],
]);
const arrayElements = new Map<number, Conversion | "text">([
  [1000, "bool"],
  [1005, "int"],
  [1007, "int"],
  [1021, "float"],
  [1022, "float"],
  [199, "json"],
  [3807, "json"],
  ...[1001, 1002, 1003, 1009, 1014, 1015, 1016, 1028, 1115, 1182, 1183, 1185, 1187, 1231, 1270, 2951].map(
    (oid) => [oid, "text"] as const,
  ),
]);

/** A cell's Postgres text output as the JSON value Neon gives when raw text output is off. */
export function pgTextToJson(text: string, dataTypeID: number): unknown {
  const element = arrayElements.get(dataTypeID);
  if (element) return parsePgArray(text, element);
  return convertScalar(text, scalarConversions.get(dataTypeID) ?? "text");
}

function convertScalar(text: string, conversion: Conversion | "text"): unknown {
  switch (conversion) {
    case "bool":
      return text === "t";
    case "int":
      return Number.parseInt(text, 10);
    case "float": {
      const value = Number(text);
      return Number.isFinite(value) ? value : text; // NaN and ±Infinity stay strings, as JSON has no such numbers
    }
    case "json":
      return JSON.parse(text);
    case "text":
      return text;
  }
}

// Array output: `{a,"b c",NULL,{1,2}}`, optionally prefixed by bounds `[0:1]=`; quoted items use backslash escapes.
function parsePgArray(text: string, element: Conversion | "text"): unknown[] {
  let pos = text.startsWith("[") ? text.indexOf("=") + 1 : 0;
  const expect = (char: string) => {
    if (text[pos++] !== char) throw new Error(`malformed array output: ${text}`);
  };
  const parseList = (): unknown[] => {
    const items: unknown[] = [];
    expect("{");
    if (text[pos] === "}") {
      pos++;
      return items;
    }
    for (;;) {
      if (text[pos] === "{") {
        items.push(parseList());
      } else if (text[pos] === '"') {
        let item = "";
        for (pos++; pos < text.length && text[pos] !== '"'; pos++) item += text[pos] === "\\" ? text[++pos] : text[pos];
        expect('"');
        items.push(convertScalar(item, element));
      } else {
        const end = text.slice(pos).search(/[,}]/);
        if (end < 0) expect("}");
        const item = text.slice(pos, pos + end);
        pos += end;
        items.push(item === "NULL" ? null : convertScalar(item, element));
      }
      if (text[pos] !== ",") break;
      pos++;
    }
    expect("}");
    return items;
  };
  return parseList();
}
