/**
 * The simulated CloudWatch's metric math: what GetMetricData's Expression queries may use.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 *
 * Supported: numbers, the Ids of other queries, + - * / with the usual precedence, parentheses,
 * unary minus, and the functions ABS(x) and FILL(series, value) (a missing point of the series
 * takes `value`). Series combine point by point on the timestamps both have; a scalar applies
 * to every point. A point divided by zero is left out (the simulated account's choice).
 * Anything else is a ValidationError naming what is not supported.
 */

export interface MetricDatum {
  namespace: string;
  metricName: string;
  dimensions: Readonly<Record<string, string>>;
  timestamp: number;
  values: number[];
  unit: string;
}

/** A statistic over raw samples: Sum, Average, Minimum, Maximum, SampleCount, or pNN (percentile). */
export function statisticOf(stat: string, values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sum = values.reduce((a, b) => a + b, 0);
  const percentile = /^p(\d+(?:\.\d+)?)$/i.exec(stat);
  if (percentile) {
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.ceil((Number(percentile[1]) / 100) * sorted.length) - 1;
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
  }
  switch (stat) {
    case "Sum":
      return sum;
    case "Average":
      return sum / values.length;
    case "Minimum":
      return Math.min(...values);
    case "Maximum":
      return Math.max(...values);
    case "SampleCount":
      return values.length;
    default:
      return undefined;
  }
}

type Value = number | Map<number, number>;
type Token = { kind: "num"; value: number } | { kind: "id"; name: string } | { kind: "op"; op: string };

function tokenize(expression: string): Token[] | string {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/(),]))/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(expression);
    if (!m) return `unsupported metric math at "${expression.slice(at).trim()}"`;
    at = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: "num", value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: "id", name: m[2] });
    else tokens.push({ kind: "op", op: String(m[3]) });
  }
  return tokens;
}

function combine(a: Value, b: Value, f: (x: number, y: number) => number | undefined): Value {
  const point = (x: number, y: number) => f(x, y);
  if (typeof a === "number" && typeof b === "number") return point(a, b) ?? Number.NaN;
  const out = new Map<number, number>();
  const keys = typeof a === "number" ? [...(b as Map<number, number>).keys()] : [...a.keys()];
  for (const t of keys) {
    const x = typeof a === "number" ? a : a.get(t);
    const y = typeof b === "number" ? b : b.get(t);
    if (x === undefined || y === undefined) continue;
    const v = point(x, y);
    if (v !== undefined) out.set(t, v);
  }
  return out;
}

const OPS: Record<string, (x: number, y: number) => number | undefined> = {
  "+": (x, y) => x + y,
  "-": (x, y) => x - y,
  "*": (x, y) => x * y,
  "/": (x, y) => (y === 0 ? undefined : x / y),
};

/** Evaluates `expression` over the named series; an error message when it cannot. */
export function evaluateMetricMath(
  expression: string,
  series: ReadonlyMap<string, Map<number, number>>,
): Map<number, number> | string {
  const tokens = tokenize(expression);
  if (typeof tokens === "string") return tokens;
  let i = 0;
  const peek = () => tokens[i];
  const isOp = (op: string) => {
    const t = peek();
    return t?.kind === "op" && t.op === op;
  };
  const expect = (op: string) => {
    if (!isOp(op)) throw new Error(`expected "${op}" in "${expression}"`);
    i++;
  };
  const primary = (): Value => {
    const t = tokens[i++];
    if (!t) throw new Error(`"${expression}" ends too early`);
    if (t.kind === "num") return t.value;
    if (t.kind === "op" && t.op === "(") {
      const v = sum();
      expect(")");
      return v;
    }
    if (t.kind === "op" && t.op === "-") return combine(0, primary(), OPS["-"] as never);
    if (t.kind === "id" && isOp("(")) {
      i++;
      const args: Value[] = [sum()];
      while (isOp(",")) {
        i++;
        args.push(sum());
      }
      expect(")");
      return call(t.name, args);
    }
    if (t.kind === "id") {
      const s = series.get(t.name);
      if (!s) throw new Error(`"${t.name}" is not the Id of another query`);
      return s;
    }
    throw new Error(`unexpected "${t.kind === "op" ? t.op : ""}" in "${expression}"`);
  };
  /** A left-associative chain of `ops` over operands `next` reads. */
  const chain = (next: () => Value, ops: readonly string[]) => (): Value => {
    let v = next();
    while (ops.some(isOp)) {
      const op = (tokens[i++] as { op: string }).op;
      v = combine(v, next(), OPS[op] as never);
    }
    return v;
  };
  const product = chain(() => primary(), ["*", "/"]);
  const sum: () => Value = chain(product, ["+", "-"]);
  const call = (name: string, args: Value[]): Value => {
    const [x, y] = args;
    if (name.toUpperCase() === "ABS" && args.length === 1 && x !== undefined)
      return combine(x, 0, (a) => Math.abs(a));
    if (name.toUpperCase() === "FILL" && args.length === 2 && x instanceof Map && typeof y === "number") {
      const out = new Map(x);
      for (const other of series.values()) for (const t of other.keys()) if (!out.has(t)) out.set(t, y);
      return out;
    }
    throw new Error(
      `the simulated CloudWatch does not support the metric math function ${name}/${args.length}`,
    );
  };
  try {
    const v = sum();
    if (i < tokens.length) return `unexpected trailing input in "${expression}"`;
    if (typeof v === "number") return new Map([[0, v]]);
    return v;
  } catch (error) {
    return (error as Error).message;
  }
}
