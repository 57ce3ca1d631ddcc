// ctpilot's custom search attributes: operators filter workflows by them in
// the Temporal UI ("CtPolicy = 'fraud-detector' AND CtPhase = 'shadow'").
// The local dev server registers them at start; for another server, the
// worker registers them (infra/stack/services/temporal.ts, workers/).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CtPolicy = defineSearchAttributeKey('CtPolicy', SearchAttributeType.KEYWORD);
export const CtModel = defineSearchAttributeKey('CtModel', SearchAttributeType.KEYWORD);
export const CtPhase = defineSearchAttributeKey('CtPhase', SearchAttributeType.KEYWORD);
export const CtLastDecision = defineSearchAttributeKey('CtLastDecision', SearchAttributeType.KEYWORD);
export const CtPolicyVersion = defineSearchAttributeKey('CtPolicyVersion', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [CtPolicy, CtModel, CtPhase, CtLastDecision, CtPolicyVersion] as const;
