// Server-rendered HTML: a shell per page with its data as inline JSON (never
// executed, so the strict CSP holds), the stylesheet and one ES module that
// draws the page. Everything interpolated is escaped.

import { assetUrl } from './assets.ts';
import type { Session } from './sessions.ts';

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside <script type="application/json">: `<` escaped so no tag can end it. */
function jsonBlock(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

export function page(title: string, session: Session | undefined, kind: string, data: unknown, body = ''): string {
  const nav = session
    ? `<nav><a href="/" class="brand">Clarity</a><a href="/dashboards/operations">Operations</a><a href="/dashboards/field-activity">Field activity</a>
       <a href="/questions">Questions</a>${session.role !== 'viewer' ? '<a href="/sql">SQL editor</a>' : ''}
       <span class="spacer"></span><span id="freshness" class="freshness"></span><span class="who">${esc(session.user)} · ${esc(session.role)}</span>
       <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="${esc(session.csrf)}"><button type="submit">Sign out</button></form></nav>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Clarity</title><link rel="stylesheet" href="${assetUrl('style.css')}">
${session ? `<meta name="csrf-token" content="${esc(session.csrf)}">` : ''}
<script type="module" src="${assetUrl('app.js')}"></script></head>
<body data-page="${esc(kind)}" data-role="${esc(session?.role ?? '')}">${nav}<main>${body}</main>
<script type="application/json" id="page-data">${jsonBlock(data)}</script></body></html>`;
}

export function loginPage(error?: string): string {
  return page('Sign in', undefined, 'login', {}, `<form method="post" action="/login" class="login">
  <h1>Clarity</h1>${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
  <label>User <input name="user" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button></form>`);
}
