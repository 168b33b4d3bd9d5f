// A fetched body as JSON for staging.crawl_raw.raw: a JSON API's document as
// received, and for the other kinds the array of records they hold (CSV and
// sheet rows, HTML table rows, feed items). A body that does not parse gets
// raw NULL: it is still stored, and the ETL quarantines it with the reason.

import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import * as cheerio from 'cheerio';
import { XMLParser } from 'fast-xml-parser';
import type { CrawlSource } from './config.ts';
import { cellValue, headerNames } from '../imports/cells.ts';

export interface Parsed {
  raw: unknown | null;
  error?: string;
}

function csvRecords(body: Buffer, delimiter: string): unknown[] {
  return parseCsv(body, { columns: (h: string[]) => headerNames(h), bom: true, delimiter, skip_empty_lines: true }) as unknown[];
}

async function xlsxRecords(body: Buffer, sheet: string | undefined): Promise<unknown[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  const ws = sheet ? wb.getWorksheet(sheet) : wb.worksheets[0];
  if (!ws) throw new Error(sheet ? `no sheet named "${sheet}"` : 'the workbook has no sheet');
  const out: unknown[] = [];
  let names: string[] | undefined;
  ws.eachRow({ includeEmpty: false }, (row) => {
    const cells = (row.values as unknown[]).slice(1);
    if (!names) {
      names = headerNames(cells);
      return;
    }
    out.push(Object.fromEntries(names.map((n, i) => [n, cellValue(cells[i])])));
  });
  return out;
}

function tableRecords(body: Buffer, selector: string): unknown[] {
  const $ = cheerio.load(body.toString('utf8'));
  const hit = $(selector).first();
  if (!hit.length) throw new Error(`the selector "${selector}" matches nothing`);
  const table = hit.is('table') ? hit : hit.find('table').first();
  if (!table.length) throw new Error(`the selector "${selector}" matches no table`);
  const rows = table.find('tr').toArray();
  const text = (el: Parameters<typeof $>[0]) => $(el).text().replace(/\s+/g, ' ').trim();
  const headRow = rows.find((r) => $(r).find('th').length > 0) ?? rows[0];
  if (!headRow) return [];
  const names = headerNames($(headRow).find('th, td').toArray().map(text));
  return rows
    .filter((r) => r !== headRow && $(r).find('td').length > 0)
    .map((r) => {
      const cells = $(r).find('td, th').toArray().map(text);
      return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? null]));
    });
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', textNodeName: '#text', parseTagValue: false, trimValues: true });
const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function feedRecords(body: Buffer): unknown[] {
  const doc = xml.parse(body.toString('utf8'), true) as Record<string, any>;
  if (doc.rss) return asArray(doc.rss.channel?.item);
  if (doc['rdf:RDF']) return asArray(doc['rdf:RDF'].item);
  if (doc.feed) {
    // Atom links are elements with an href: keep the main one as a string.
    return asArray(doc.feed.entry).map((e: any) => {
      const links = asArray(e.link) as Array<Record<string, string>>;
      const main = links.find((l) => !l['@_rel'] || l['@_rel'] === 'alternate') ?? links[0];
      return { ...e, link: main?.['@_href'] ?? null };
    });
  }
  throw new Error('neither an RSS nor an Atom feed');
}

export async function parseBody(source: CrawlSource, body: Buffer): Promise<Parsed> {
  try {
    switch (source.kind) {
      case 'json_api':
        return { raw: JSON.parse(body.toString('utf8')) };
      case 'csv':
        return { raw: csvRecords(body, source.delimiter ?? ',') };
      case 'xlsx':
        return { raw: await xlsxRecords(body, source.sheet) };
      case 'html_table':
        return { raw: tableRecords(body, source.selector!) };
      case 'feed':
        return { raw: feedRecords(body) };
    }
  } catch (err) {
    return { raw: null, error: (err as Error).message.split('\n')[0]! };
  }
}

/** The value at a dotted path of a parsed JSON document. */
export function atPath(doc: unknown, pathParts: string[]): unknown {
  let cur = doc;
  for (const p of pathParts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}
