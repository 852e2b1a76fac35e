import type { CrashRun, SideEffect } from './crash-protocol';

/** The `step.run` steps of each function of crash-app, by composite function id. */
const STEPS: Record<string, string[]> = {
  'crash-order': ['reserve', 'charge', 'pack'],
  'crash-ship': ['pick', 'dispatch'],
  'crash-label': ['print'],
};

const orderIdOf = (run: CrashRun) => run.event.data.orderId as string | undefined;

/** Whether the engine has nothing left to do: every stored run is in a final state. */
export function settled(runs: CrashRun[]): boolean {
  return runs.every((run) => run.status !== 'running');
}

/** One broken rule: `rule` names it (for counting), `detail` says which order, run and step. */
export interface Violation {
  rule: string;
  detail: string;
}

/** What the crash test found, beyond pass or fail. */
export interface CrashStats {
  runs: number;
  sideEffects: number;
  /** (run, step) pairs that executed more than once: at-least-once at work. */
  stepsRunAgain: number;
}

/**
 * Every rule of the crash test, as a list of what broke (empty when all hold):
 * - each accepted order has exactly one `order` run, one `ship` run (from the event the order sent)
 *   and one `label` run (the child it invoked), all completed;
 * - each `step.run` of each run left at least one side effect, and the result the engine stored is
 *   the last execution logged for that step: an execution after it means a stored step ran again;
 * - every side effect belongs to a stored run (else the run was lost after a step ran);
 * - no stored run belongs to an order nobody sent.
 */
export function checkCrashOutcome(
  accepted: ReadonlySet<string>,
  runs: CrashRun[],
  effects: SideEffect[],
): { violations: Violation[]; stats: CrashStats } {
  const violations: Violation[] = [];
  const broke = (rule: string, detail: string) => violations.push({ rule, detail });

  const byOrder = new Map<string, CrashRun[]>();
  for (const run of runs) {
    const orderId = orderIdOf(run);
    if (!orderId || !accepted.has(orderId)) {
      broke('run of no accepted order', `run ${run.id} (${run.functionId}) is for order ${orderId}`);
      continue;
    }
    byOrder.set(orderId, [...(byOrder.get(orderId) ?? []), run]);
  }

  for (const orderId of accepted) {
    const mine = byOrder.get(orderId) ?? [];
    const of = (functionId: string) => mine.filter((run) => run.functionId === functionId);
    const [orders, ships, labels] = [of('crash-order'), of('crash-ship'), of('crash-label')];
    for (const [name, found] of [
      ['order', orders],
      ['ship', ships],
      ['label', labels],
    ] as const) {
      if (found.length === 0) broke('lost run', `order ${orderId} has no ${name} run`);
      if (found.length > 1)
        broke('duplicate run', `order ${orderId} has ${found.length} ${name} runs: ${describe(found)}`);
    }
    for (const run of mine) {
      if (run.status !== 'completed')
        broke('run not completed', `order ${orderId}: ${run.functionId} run ${describe([run])}`);
    }
    const [order, label] = [orders[0], labels[0]];
    if (order && label && orders.length === 1 && labels.length === 1) {
      if (label.invokedBy?.runId !== order.id)
        broke(
          'wrong invoker',
          `order ${orderId}: label run ${label.id} was invoked by ${label.invokedBy?.runId}`,
        );
      const invoked = (order.output as { label?: unknown } | undefined)?.label;
      if (order.status === 'completed' && label.status === 'completed' && invoked !== label.output)
        broke(
          'invoke result',
          `order ${orderId}: the order got ${invoked} from its invoke, the label run returned ${label.output}`,
        );
    }
  }

  const executions = new Map<string, SideEffect[]>();
  for (const effect of effects) {
    const key = `${effect.runId}/${effect.step}`;
    executions.set(key, [...(executions.get(key) ?? []), effect]);
  }
  const stored = new Set(runs.map((run) => run.id));
  const unstored = new Map<string, SideEffect>();
  for (const effect of effects) if (!stored.has(effect.runId)) unstored.set(effect.runId, effect);
  for (const [runId, effect] of unstored)
    broke(
      'step ran for an unstored run',
      `order ${effect.orderId}: step "${effect.step}" of ${effect.fn} ran for run ${runId}, which the store does not have`,
    );

  for (const run of runs) {
    if (run.status !== 'completed') continue;
    for (const step of STEPS[run.functionId] ?? []) {
      const entry = run.timeline.find((item) => item.name === step && item.kind === 'run');
      const ran = executions.get(`${run.id}/${step}`) ?? [];
      const where = `order ${orderIdOf(run)}: step "${step}" of ${run.functionId} run ${run.id}`;
      if (!entry) broke('step not in timeline', `${where} is not in the completed run's timeline`);
      else if (ran.length === 0) broke('no side effect', `${where} has a stored result but no side effect`);
      else {
        const kept = ran.findIndex((effect) => effect.execId === entry.output);
        if (kept < 0)
          broke(
            'stored result of no execution',
            `${where} stored ${entry.output}, which no execution returned`,
          );
        else if (kept < ran.length - 1)
          broke(
            'stored step ran again',
            `${where} ran ${ran.length - 1 - kept} more time(s) after it was stored`,
          );
      }
    }
  }

  const stats: CrashStats = {
    runs: runs.length,
    sideEffects: effects.length,
    stepsRunAgain: [...executions.values()].filter((list) => list.length > 1).length,
  };
  return { violations, stats };
}

/** "lost run: 3, duplicate run: 1" */
export function countByRule(violations: Violation[]): string {
  const counts = new Map<string, number>();
  for (const { rule } of violations) counts.set(rule, (counts.get(rule) ?? 0) + 1);
  return [...counts].map(([rule, count]) => `${rule}: ${count}`).join(', ');
}

function describe(runs: CrashRun[]): string {
  return runs
    .map((run) => {
      const why = run.error
        ? `: ${run.error.message}`
        : run.pending.length
          ? ` waiting on ${run.pending}`
          : '';
      return `${run.id} ${run.status}${why}`;
    })
    .join('; ');
}
