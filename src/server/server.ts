import {
  CodeActionKind,
  CompletionItemKind,
  DiagnosticSeverity,
  MarkupKind,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
  type CodeAction,
  type CompletionItem,
  type Connection,
  type Diagnostic,
  type DocumentSymbol,
  type InitializeResult,
  type Location,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { BatonDiagnostic } from '../core/config/diagnostic';
import {
  completionContext,
  completions,
  ConfigDocument,
  definition,
  documentSymbols,
  hover,
  NO_CLUSTER,
  quickFixes,
  references,
  wantsNodeLabels,
  type ClusterInfoProvider,
  type CompletionKind,
  type OutlineKind,
  type OutlineSymbol,
} from '../core/config/services';
import { validateRunConfig } from '../core/config/validate';
import type { ClusterSettings } from '../core/backends/kubernetes/cluster-info-provider';

/** A cluster provider the client's settings can reconfigure (the Kubernetes one). */
export type ServerClusterProvider = ClusterInfoProvider & { configure?(settings: ClusterSettings): void; dispose?(): void };

/**
 * How the client passes cluster settings: as `initializationOptions.cluster` at start, then
 * as `settings.batonCluster` of `workspace/didChangeConfiguration`.
 */
export interface ClusterSettingsMessage {
  batonCluster?: ClusterSettings;
}

export interface ServerOptions {
  cluster?: ServerClusterProvider;
  /** Quiet time after the last edit before a document is validated again. */
  debounceMs?: number;
  /** The environment `getenv` values are checked against. */
  env?: NodeJS.ProcessEnv;
}

const SEVERITY: Record<BatonDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toLspDiagnostic(d: BatonDiagnostic): Diagnostic {
  return { range: d.range, severity: SEVERITY[d.severity], code: d.code, source: 'baton', message: d.message, ...(d.data === undefined ? {} : { data: d.data }) };
}

const COMPLETION_KIND: Record<CompletionKind, CompletionItemKind> = {
  property: CompletionItemKind.Property,
  value: CompletionItemKind.Value,
  exec: CompletionItemKind.Function,
  app: CompletionItemKind.Module,
  segment: CompletionItemKind.Folder,
  host: CompletionItemKind.Reference,
  transition: CompletionItemKind.Event,
  sequence: CompletionItemKind.Event,
  state: CompletionItemKind.EnumMember,
  label: CompletionItemKind.Constant,
};

const SYMBOL_KIND: Record<OutlineKind, SymbolKind> = {
  group: SymbolKind.Namespace,
  exec: SymbolKind.Function,
  host: SymbolKind.Constant,
  segment: SymbolKind.Namespace,
  app: SymbolKind.Module,
};

function toSymbol(s: OutlineSymbol): DocumentSymbol {
  return { name: s.name, detail: s.detail, kind: SYMBOL_KIND[s.kind], range: s.range, selectionRange: s.selectionRange, children: s.children.map(toSymbol) };
}

/**
 * Wires the run-config services to an LSP connection. Handlers only translate: every
 * answer comes from a pure service over the document's current text, and any failure
 * there becomes an empty answer rather than an error the editor would surface.
 */
export function startServer(connection: Connection, opts: ServerOptions = {}): void {
  const cluster: ServerClusterProvider = opts.cluster ?? NO_CLUSTER;
  const debounceMs = opts.debounceMs ?? 150;
  const documents = new TextDocuments(TextDocument);
  const parsed = new Map<string, { version: number; doc: ConfigDocument }>();
  const pending = new Map<string, NodeJS.Timeout>();

  /** One parse per document version, shared by every request on it. */
  const model = (uri: string): ConfigDocument | undefined => {
    const td = documents.get(uri);
    if (!td) return undefined;
    const cached = parsed.get(uri);
    if (cached && cached.version === td.version) return cached.doc;
    const doc = ConfigDocument.parse(td.getText());
    parsed.set(uri, { version: td.version, doc });
    return doc;
  };

  const safe = <T>(what: string, empty: T, run: () => T): T => {
    try {
      return run();
    } catch (err) {
      connection.console.error(`baton: ${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return empty;
    }
  };

  const publish = (params: PublishDiagnosticsParams): void => {
    // A timer may fire after the client went away; that is no reason to take the process down.
    try {
      connection.sendDiagnostics(params).catch(() => undefined);
    } catch {
      // the connection is closed
    }
  };

  const validate = (uri: string, version: number): void => {
    pending.delete(uri);
    const td = documents.get(uri);
    // A newer version has its own timer; a closed document must stay cleared.
    if (!td || td.version !== version) return;
    // The cluster answers from its cache: validation never waits for the network.
    const snapshot = cluster.snapshot ? (context: string | undefined) => cluster.snapshot!(context) : undefined;
    const clusterProblem = cluster.problem ? (context: string | undefined) => cluster.problem!(context) : undefined;
    const diagnostics = safe('validation', [] as Diagnostic[], () =>
      validateRunConfig(td.getText(), { file: uri, env: opts.env ?? process.env, nodeCount: cluster.nodeCount?.(), cluster: snapshot, clusterProblem }).map(toLspDiagnostic),
    );
    publish({ uri, version, diagnostics });
  };

  const schedule = (td: TextDocument): void => {
    // Captured now: the document object is updated in place by later edits.
    const { uri, version } = td;
    clearTimeout(pending.get(uri));
    pending.set(uri, setTimeout(() => validate(uri, version), debounceMs));
  };

  // What the cluster knows changed (a node relabelled, a context reachable at last): check every open document again.
  const unsubscribeCluster = cluster.onDidChange?.(() => {
    for (const td of documents.all()) schedule(td);
  });
  connection.onDidChangeConfiguration((params) => {
    const settings = (params.settings as ClusterSettingsMessage | null)?.batonCluster;
    if (settings) cluster.configure?.(settings);
  });

  documents.onDidOpen((e) => schedule(e.document));
  documents.onDidChangeContent((e) => schedule(e.document));
  documents.onDidClose((e) => {
    clearTimeout(pending.get(e.document.uri));
    pending.delete(e.document.uri);
    parsed.delete(e.document.uri);
    publish({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onInitialize((params): InitializeResult => {
    const settings = (params.initializationOptions as { cluster?: ClusterSettings } | null | undefined)?.cluster;
    if (settings) cluster.configure?.(settings);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: [':', ' ', '-', '[', ',', '{'] },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        documentSymbolProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: 'baton-language-server' },
    };
  });

  connection.onCompletion(async (params, token): Promise<CompletionItem[]> => {
    const doc = model(params.textDocument.uri);
    if (!doc || token.isCancellationRequested) return [];
    const ctx = safe('completion', undefined, () => completionContext(doc, params.position));
    if (!ctx) return [];
    let nodeLabels: Record<string, string[]> | undefined;
    if (wantsNodeLabels(ctx)) {
      try {
        nodeLabels = await cluster.nodeLabels(kubernetesContext(doc.data));
      } catch {
        nodeLabels = undefined; // an unreachable cluster only means fewer suggestions
      }
    }
    return safe('completion', [], () =>
      completions(doc, ctx, { nodeLabels }).map((e) => ({
        label: e.label,
        kind: COMPLETION_KIND[e.kind],
        detail: e.detail,
        documentation: e.documentation ? { kind: MarkupKind.Markdown, value: e.documentation } : undefined,
        textEdit: { range: e.range, newText: e.newText },
      })),
    );
  });

  connection.onHover((params) =>
    safe('hover', null, () => {
      const doc = model(params.textDocument.uri);
      const h = doc && hover(doc, params.position);
      return h ? { contents: { kind: MarkupKind.Markdown, value: h.contents }, range: h.range } : null;
    }),
  );

  connection.onDefinition((params): Location[] =>
    safe('definition', [], () => {
      const doc = model(params.textDocument.uri);
      return doc ? definition(doc, params.position).map((range) => ({ uri: params.textDocument.uri, range })) : [];
    }),
  );

  connection.onReferences((params): Location[] =>
    safe('references', [], () => {
      const doc = model(params.textDocument.uri);
      return doc ? references(doc, params.position, params.context?.includeDeclaration ?? true).map((range) => ({ uri: params.textDocument.uri, range })) : [];
    }),
  );

  connection.onDocumentSymbol((params): DocumentSymbol[] =>
    safe('document symbols', [], () => {
      const doc = model(params.textDocument.uri);
      return doc ? documentSymbols(doc).map(toSymbol) : [];
    }),
  );

  connection.onCodeAction((params): CodeAction[] =>
    safe('code actions', [], () => {
      const doc = model(params.textDocument.uri);
      if (!doc) return [];
      const ours = (params.context?.diagnostics ?? []).filter((d) => d.source === 'baton');
      return quickFixes(doc, ours).map((f) => ({
        title: f.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [f.diagnostic],
        isPreferred: f.preferred,
        edit: { changes: { [params.textDocument.uri]: f.edits } },
      }));
    }),
  );

  connection.onShutdown(() => {
    for (const t of pending.values()) clearTimeout(t);
    pending.clear();
    unsubscribeCluster?.();
    cluster.dispose?.();
  });

  documents.listen(connection);
}

/** The context a configuration names (`spec.kubernetes.context`), if any. */
function kubernetesContext(data: unknown): string | undefined {
  const k = (data as { spec?: { kubernetes?: { context?: unknown } } } | null)?.spec?.kubernetes;
  return typeof k?.context === 'string' ? k.context : undefined;
}
