// Saved questions: SQL with typed parameters and a chosen visualisation.

import { randomUUID } from 'node:crypto';
import { NexusError, usageError } from '../core/errors.ts';
import type { JsonStore } from './store.ts';
import { checkParamDefs, type ParamDef } from './params.ts';
import { CHART_TYPES, type ChartType } from './dashboards.ts';

export interface Question {
  id: string;
  title: string;
  sql: string;
  params: ParamDef[];
  chart: { type: ChartType; x?: string; y?: string[]; series?: string };
  owner: string;
  updated_at: string;
}

export function listQuestions(store: JsonStore): Question[] {
  return store.read<Question>('questions').sort((a, b) => a.title.localeCompare(b.title));
}

export function getQuestion(store: JsonStore, id: string): Question {
  const q = store.read<Question>('questions').find((x) => x.id === id);
  if (!q) throw new NexusError('clarity_question_unknown', `There is no saved question ${id}.`, { status: 404 });
  return q;
}

export function saveQuestion(store: JsonStore, owner: string, input: Partial<Question>): Question {
  if (!input.title?.trim()) throw usageError('clarity_question_invalid', 'A question needs a title.');
  if (!input.sql?.trim()) throw usageError('clarity_question_invalid', 'A question needs SQL.');
  const type = (input.chart?.type ?? 'table') as ChartType;
  if (!(CHART_TYPES as readonly string[]).includes(type)) throw usageError('clarity_question_invalid', `chart type must be one of ${CHART_TYPES.join(', ')}`);
  const q: Question = {
    id: input.id && /^[0-9a-f-]{36}$/.test(input.id) ? input.id : randomUUID(),
    title: input.title.trim().slice(0, 200),
    sql: input.sql,
    params: checkParamDefs(input.params),
    chart: { type, ...(input.chart?.x ? { x: String(input.chart.x) } : {}), ...(input.chart?.y ? { y: input.chart.y.map(String) } : {}), ...(input.chart?.series ? { series: String(input.chart.series) } : {}) },
    owner,
    updated_at: new Date().toISOString(),
  };
  store.update<Question>('questions', (all) => [...all.filter((x) => x.id !== q.id), q]);
  return q;
}

export function deleteQuestion(store: JsonStore, id: string): void {
  store.update<Question>('questions', (all) => {
    if (!all.some((x) => x.id === id)) throw new NexusError('clarity_question_unknown', `There is no saved question ${id}.`, { status: 404 });
    return all.filter((x) => x.id !== id);
  });
}
