import { Logger } from '@nestjs/common';
import { NonRetriableError, type InngestFunction as SdkFunction } from 'inngest';
import { assertSendableEvents } from './event-payload.checks';
import { type EventSchemaMap, eventSchemaIssues } from './event-schema.validation';
import { EventTriggerIndex, triggerEvents } from './event-trigger.index';
import { InngestEventSchemaError } from './inngest.errors';
import type { InngestMode } from './inngest.options';
import { declarationSource, type InngestFunctionDeclaration } from './inngest-function.declarations';
import type { InngestSyncState } from './inngest-sync.state';

/** Event names reported as triggering nothing, at most: names built from ids would grow forever. */
const MAX_REPORTED_NAMES = 1_000;

interface ServedFunctions {
  readonly count: number;
  readonly triggers: EventTriggerIndex;
  readonly notProvided: readonly InngestFunctionDeclaration[];
}

/**
 * @internal What the binding checks about events, run by its client middleware: every sent event
 * (payload shape, schema), events sent from outside a function in embedded mode (held until the
 * first sync, reported when nothing listens to them), and the events that trigger a run (schema).
 */
export class InngestEventChecks {
  private readonly logger = new Logger('InngestModule');
  private served?: ServedFunctions;
  private readonly reported = new Set<string>();

  constructor(
    private readonly mode: InngestMode,
    private readonly syncState: InngestSyncState,
    private readonly schemas: EventSchemaMap,
  ) {}

  /** Whether any event has a schema (the trigger check is installed only then). */
  get hasSchemas(): boolean {
    return Object.keys(this.schemas).length > 0;
  }

  /** Takes the functions the app serves, once final, and the declared functions no module provides. */
  useFunctions(
    functions: readonly SdkFunction.Any[],
    notProvided: readonly InngestFunctionDeclaration[],
  ): void {
    this.served = {
      count: functions.length,
      triggers: new EventTriggerIndex(functions.flatMap((fn) => triggerEvents(fn.opts.triggers))),
      notProvided,
    };
  }

  /**
   * Before events are sent: throws on a payload that cannot be sent or fails its schema; in
   * embedded mode, an event sent from outside a function waits for the first sync, because the
   * engine starts runs only for the functions it knows when the event arrives.
   */
  async beforeSend(events: readonly unknown[], fromFunction: boolean): Promise<void> {
    assertSendableEvents(events);
    for (const event of events as ReadonlyArray<{ name: string; data?: unknown }>) {
      const issues = await eventSchemaIssues(this.schemas, event.name, event.data);
      if (issues) throw new InngestEventSchemaError(event.name, issues);
    }
    if (fromFunction || this.mode !== 'embedded') return;
    if (!this.syncState.synced) await this.syncState.whenSynced();
    for (const event of events as ReadonlyArray<{ name: string }>) this.reportIfUnheard(event.name);
  }

  /** Before a function's handler runs: its triggering events must pass their schemas. */
  async beforeRun(
    events: ReadonlyArray<{ name: string; data?: unknown }>,
    functionId: string,
  ): Promise<void> {
    for (const event of events) {
      const issues = await eventSchemaIssues(this.schemas, event.name, event.data);
      if (!issues) continue;
      const error = new InngestEventSchemaError(event.name, issues, functionId);
      throw new NonRetriableError(error.message, { cause: error });
    }
  }

  /** Warns once per name about an event no function of this app listens to (embedded mode only). */
  private reportIfUnheard(name: string): void {
    const served = this.served;
    if (!served || name.startsWith('inngest/') || served.triggers.matches(name)) return;
    if (this.reported.has(name) || this.reported.size >= MAX_REPORTED_NAMES) return;
    this.reported.add(name);
    const candidates = served.notProvided.filter((declaration) =>
      new EventTriggerIndex(triggerEvents(declaration.options.triggers)).matches(name),
    );
    const hint =
      candidates.length > 0
        ? ` ${notProvidedHint(candidates)}`
        : ' Check the name against the triggers of your @InngestFunction methods; if the function is ' +
          "new, add its class to a module's `providers`.";
    this.logger.warn(
      `No function is triggered by "${name}": the embedded engine stored the event, but none of the ` +
        `${served.count} function${served.count === 1 ? '' : 's'} of this app listens to it.${hint}`,
    );
  }
}

/** `Receipts.send is triggered by it, but Receipts is in no module's providers ...`. */
function notProvidedHint(declarations: readonly InngestFunctionDeclaration[]): string {
  const classes = [...new Set(declarations.map((declaration) => declaration.declaringClass.name))];
  const one = classes.length === 1;
  return (
    `${declarations.map(declarationSource).join(', ')} ${declarations.length === 1 ? 'is' : 'are'} triggered by it, ` +
    `but ${classes.join(', ')} ${one ? 'is' : 'are'} in no module's \`providers\`, so Nest never created ` +
    `${one ? 'it' : 'them'}: add ${one ? classes[0] : 'them'} to the \`providers\` of a module.`
  );
}
