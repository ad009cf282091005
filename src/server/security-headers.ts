/**
 * Security headers, computed once instead of per request. API responses (JSON, binary tensors, metrics)
 * get the set the OWASP REST Security Cheat Sheet lists for APIs: nothing in them is rendered by a
 * browser, so document policies (script and font sources, prefetch control, IE download options) would
 * only cost bytes and header validation on the inference hot path. The interactive docs at /docs are an
 * HTML page and get @fastify/helmet's (helmet 8) defaults, with a CSP that lets their inline scripts
 * and styles run.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

export const DOCS_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self' 'unsafe-inline';script-src-attr 'none';style-src 'self' 'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});

/** The headers for a request path: the docs page and its assets, or the API. */
export const securityHeadersFor = (url: string): Readonly<Record<string, string>> =>
  url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?') ? DOCS_SECURITY_HEADERS : API_SECURITY_HEADERS;
