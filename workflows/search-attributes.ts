// ctpilot's custom search attributes: operators filter workflows by them in
// the Temporal UI ("CtPolicy = 'fraud-detector' AND CtPhase = 'shadow'").
// The local dev server registers them at start; for another server, the
// worker registers them (infra/stack/services/temporal.ts, workers/).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ATTRIBUTE } from './ids.ts';

export const CtPolicy = defineSearchAttributeKey(ATTRIBUTE.policy, SearchAttributeType.KEYWORD);
export const CtModel = defineSearchAttributeKey(ATTRIBUTE.model, SearchAttributeType.KEYWORD);
export const CtPhase = defineSearchAttributeKey(ATTRIBUTE.phase, SearchAttributeType.KEYWORD);
export const CtLastDecision = defineSearchAttributeKey(ATTRIBUTE.lastDecision, SearchAttributeType.KEYWORD);
export const CtPolicyVersion = defineSearchAttributeKey(ATTRIBUTE.policyVersion, SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [CtPolicy, CtModel, CtPhase, CtLastDecision, CtPolicyVersion] as const;
