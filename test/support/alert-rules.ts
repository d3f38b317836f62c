/**
 * A tiny reader for example/prometheus/alerts.yml — not a YAML parser: it reads the one shape
 * that file uses (`- alert:`, `expr: |` block or inline, `for:`, `severity:`), and refuses tabs.
 */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string | undefined;
  severity: string | undefined;
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

export function readAlertRules(yaml: string): AlertRule[] {
  if (yaml.includes('\t')) throw new Error('alerts.yml must be indented with spaces, not tabs');
  if (!/^groups:\s*$/m.test(yaml)) throw new Error('alerts.yml must start with a groups: key');
  const lines = yaml.split('\n');
  const rules: AlertRule[] = [];
  let current: AlertRule | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const alert = /^\s*- alert: (\S+)\s*$/.exec(line);
    if (alert?.[1] !== undefined) {
      current = { alert: alert[1], expr: '', for: undefined, severity: undefined };
      rules.push(current);
      continue;
    }
    if (current === undefined) continue;
    const expr = /^(\s*)expr: (.*)$/.exec(line);
    if (expr !== undefined && expr !== null) {
      const inline = (expr[2] ?? '').trim();
      if (inline !== '|' && inline !== '>') {
        current.expr = inline;
        continue;
      }
      const keyIndent = (expr[1] ?? '').length;
      const block: string[] = [];
      while (
        i + 1 < lines.length &&
        (lines[i + 1]?.trim() === '' || indentOf(lines[i + 1] ?? '') > keyIndent)
      ) {
        i += 1;
        block.push((lines[i] ?? '').trim());
      }
      current.expr = block.join(' ').trim();
      continue;
    }
    const duration = /^\s*for: (\S+)\s*$/.exec(line);
    if (duration?.[1] !== undefined) current.for = duration[1];
    const severity = /^\s*severity: (\S+)\s*$/.exec(line);
    if (severity?.[1] !== undefined) current.severity = severity[1];
  }
  return rules;
}

/** True when (), [] and {} are balanced and properly nested (string literals skipped). */
export function balanced(expr: string): boolean {
  const pairs: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const char of expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if (char === '(' || char === '[' || char === '{') stack.push(char);
    else if (char in pairs && stack.pop() !== pairs[char]) return false;
  }
  return stack.length === 0;
}

/**
 * The identifiers of a PromQL expression outside label matchers, range selectors and strings:
 * metric names, functions and keywords.
 */
export function identifiersOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  return stripped.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
}
