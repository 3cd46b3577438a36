// Editor services over one version of a run configuration: pure functions of the text
// and a position, shared by the language server and anything else that wants them.
export { ConfigDocument, type PathSegment } from './document';
export { complete, completionContext, completions, wantsNodeLabels, type CompletionContext, type CompletionEntry, type CompletionKind, type CompletionOptions } from './completion';
export { hover, type HoverResult } from './hover';
export { definition, documentSymbols, references, type OutlineKind, type OutlineSymbol } from './symbols';
export { freeName, freePort, quickFixes, type FixableDiagnostic, type QuickFix, type TextEdit } from './code-actions';
export { NO_CLUSTER, type ClusterInfoProvider } from './cluster-info';
