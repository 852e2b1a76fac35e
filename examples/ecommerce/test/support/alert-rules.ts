import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The Prometheus alerting rules the example ships. */
export const ALERT_RULES_FILE = fileURLToPath(new URL('../../ops/prometheus/alerts.yml', import.meta.url));

/** One alerting rule, as Prometheus reads it. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The rules file: groups of rules. */
export interface AlertRulesFile {
  groups: { name: string; rules: AlertRule[] }[];
}

/** Parses `ops/prometheus/alerts.yml`. */
export function loadAlertRules(): AlertRulesFile {
  return parse(readFileSync(ALERT_RULES_FILE, 'utf8')) as AlertRulesFile;
}

/** Every rule of every group. */
export function allRules(file: AlertRulesFile = loadAlertRules()): AlertRule[] {
  return file.groups.flatMap((group) => group.rules);
}

const NOT_METRICS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: its identifiers, less function and aggregation
 * names (followed by `(`), keywords, label matchers, grouping clauses, ranges and strings.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = stripped.slice((match.index ?? 0) + match[0].length);
    if (/^\s*\(/.test(rest) || NOT_METRICS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/**
 * The metric names a Prometheus text exposition offers to queries: each sample's name, and each
 * declared metric's (a histogram's `_bucket`, `_sum` and `_count` are samples).
 */
export function exposedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const declared = /^# TYPE (\S+) /.exec(line);
    if (declared) names.add(declared[1] as string);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1] as string);
  }
  return names;
}
