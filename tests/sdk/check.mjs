// Calls every method of @shlinkio/shlink-js-sdk's ShlinkApiClient against a running server and
// checks each answer: the HTTP status the spec documents, the raw JSON body against the schemas
// in schemas.json (copied from Shlink's OpenAPI description), and what the call should have done.
//
//   node tests/sdk/check.mjs <base-url> <api-key> [<api-key-name>]
//   (or SHLINK_BASE_URL, SHLINK_API_KEY, SHLINK_API_KEY_NAME)
//
// Prints `ok <method> (<case>)` or `FAIL <method> (<case>): <reason>` per call and exits 1 when a
// call failed or when a ShlinkApiClient method was never called (a newer SDK with new methods
// fails here until the script calls them). Meant for a fresh server; what it creates starts
// with `sdk-`.

import { readFileSync } from 'node:fs';

import { ShlinkApiClient } from '@shlinkio/shlink-js-sdk';
import { ErrorType } from '@shlinkio/shlink-js-sdk/api-contract';
import { FetchHttpClient } from '@shlinkio/shlink-js-sdk/fetch';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [argBase, argKey, argKeyName] = process.argv.slice(2);
const baseUrl = (argBase ?? process.env.SHLINK_BASE_URL ?? '').replace(/\/+$/, '');
const apiKey = argKey ?? process.env.SHLINK_API_KEY ?? '';
const apiKeyName = argKeyName ?? process.env.SHLINK_API_KEY_NAME;
if (!baseUrl || !apiKey) {
  console.error('usage: node check.mjs <base-url> <api-key> [<api-key-name>]');
  process.exit(2);
}

// ---- schemas -------------------------------------------------------------------------------

const schemas = JSON.parse(readFileSync(new URL('./schemas.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
addFormats(ajv, ['date-time']);
ajv.addSchema(schemas);
const validators = new Map();
const validator = (name) => {
  if (!validators.has(name)) {
    const validate = ajv.getSchema(`${schemas.$id}#/$defs/${name}`);
    if (!validate) throw new Error(`schemas.json has no $defs/${name}`);
    validators.set(name, validate);
  }
  return validators.get(name);
};

// ---- the client, with the raw exchange recorded --------------------------------------------

/** The last request the SDK made and what came back, read before the SDK consumes the body. */
let last = null;
const recordingFetch = async (url, init = {}) => {
  const response = await fetch(url, init);
  const text = await response.clone().text();
  last = {
    method: init.method ?? 'GET',
    url: String(url),
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text,
  };
  return response;
};
const client = new ShlinkApiClient(new FetchHttpClient(recordingFetch), { baseUrl, apiKey });

// ---- reporting -----------------------------------------------------------------------------

const called = new Set();
const failures = [];

class Check extends Error {}
const check = (condition, message) => {
  if (!condition) throw new Check(message);
};
const short = (text, max = 600) => (text.length > max ? `${text.slice(0, max)}…` : text);
const json = (value) => short(JSON.stringify(value) ?? String(value));
const exchange = () =>
  last ? `${last.method} ${last.url.slice(baseUrl.length)} -> ${last.status} ${last.contentType} ${short(last.text) || '(empty body)'}` : 'no request was made';
const describeThrown = (err) =>
  err instanceof Error ? `${err.name}: ${err.message}` : `rejected with ${json(err)}`;

const report = (method, label, error) => {
  const name = label ? `${method} (${label})` : method;
  if (error) {
    failures.push(name);
    console.log(`FAIL ${name}: ${error}`);
  } else {
    console.log(`ok ${name}`);
  }
};

const parseBody = () => {
  try {
    return JSON.parse(last.text);
  } catch {
    throw new Check(`body is not JSON: ${exchange()}`);
  }
};

const validate = (schema, body) => {
  const run = validator(schema);
  check(run(body), `body does not match ${schema}: ${ajv.errorsText(run.errors, { separator: '; ' })}; ${exchange()}`);
};

/**
 * Calls `client[method](...args)` and expects success: `status` (204 means an empty body), a JSON
 * body matching `schema`, then `verify(result, body)` for what the call should have done.
 */
async function expectOk(method, label, args, { status = 200, schema, verify } = {}) {
  called.add(method);
  last = null;
  let result;
  try {
    result = await client[method](...args);
  } catch (err) {
    report(method, label, `${describeThrown(err)}; ${exchange()}`);
    return undefined;
  }
  try {
    check(last, 'the SDK made no request');
    check(last.status === status, `expected HTTP ${status}; ${exchange()}`);
    let body;
    if (status === 204) {
      check(last.text === '', `expected an empty body; ${exchange()}`);
    } else {
      check(/json/.test(last.contentType), `expected a JSON content type; ${exchange()}`);
      body = parseBody();
      if (schema) validate(schema, body);
    }
    if (verify) await verify(result, body);
    report(method, label);
  } catch (err) {
    report(method, label, err instanceof Check ? err.message : `checking the answer threw ${describeThrown(err)}; ${exchange()}`);
  }
  return result;
}

/**
 * Calls `client[method](...args)` and expects the documented Shlink error `type` (an
 * `ErrorType` value) with `status`, as application/problem+json matching `schema`.
 */
async function expectProblem(method, label, args, { status, type, schema = 'Problem', verify }) {
  called.add(method);
  last = null;
  let thrown;
  try {
    const result = await client[method](...args);
    report(method, label, `expected ${type} (${status}) but the call succeeded with ${json(result)}; ${exchange()}`);
    return;
  } catch (err) {
    thrown = err;
  }
  try {
    check(last, `the SDK made no request: ${describeThrown(thrown)}`);
    check(last.status === status && !(thrown instanceof Error),
      `expected ${type} (${status}), got ${describeThrown(thrown)}; ${exchange()}`);
    check(last.contentType.startsWith('application/problem+json'), `expected application/problem+json; ${exchange()}`);
    const body = parseBody();
    validate(schema, body);
    check(body.type === type && thrown.type === type, `expected type ${type}; ${exchange()}`);
    check(body.status === status, `expected "status": ${status} in the body; ${exchange()}`);
    if (verify) await verify(body);
    report(method, label);
  } catch (err) {
    report(method, label, err instanceof Check ? err.message : `checking the answer threw ${describeThrown(err)}; ${exchange()}`);
  }
}

// ---- helpers for the story -----------------------------------------------------------------

/** ISO 8601 with an offset and no fraction (`2024-05-01T10:00:00+00:00`), as Shlink's clients send. */
const atom = (offsetMs) => new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, '+00:00');
const DAY = 24 * 3600 * 1000;
const codes = (list) => list.data.map((s) => s.shortCode);
const sameSet = (actual, expected) =>
  actual.length === expected.length && expected.every((item) => actual.includes(item));

/** Requests a public path the way a browser would, without following the redirect. */
const visit = async (path, userAgent, referer) => {
  const headers = { 'User-Agent': userAgent };
  if (referer) headers.Referer = referer;
  const response = await fetch(`${baseUrl}${path}`, { redirect: 'manual', headers });
  await response.arrayBuffer();
  return response.status;
};

/** Polls GET /rest/v3/visits (outside the SDK) until `done(overview)` or 30 s pass. */
const waitForVisits = async (done) => {
  const deadline = Date.now() + 30_000;
  let overview;
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/rest/v3/visits`, { headers: { 'X-Api-Key': apiKey } });
    if (response.ok) {
      overview = (await response.json()).visits;
      if (done(overview)) return overview;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`visits not recorded within 30 s; last overview ${JSON.stringify(overview)}`);
};

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0';
const BOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

// ---- the story -----------------------------------------------------------------------------

const ALPHA = 'https://example.com/sdk/alpha';
const BETA = 'https://example.com/sdk/beta';
const GAMMA = 'https://example.com/sdk/gamma';

await expectOk('health', '', [], {
  schema: 'Health',
  verify: (health) => check(health.status === 'pass', `status is ${json(health.status)}`),
});

// Short URLs.
const alpha = await expectOk('createShortUrl', 'custom slug, tags, meta', [{
  longUrl: ALPHA,
  customSlug: 'sdk-alpha',
  tags: ['sdk-one', 'sdk-shared'],
  title: 'Alpha',
  crawlable: true,
  forwardQuery: true,
  maxVisits: 100,
  validSince: atom(-DAY),
}], {
  schema: 'ShortUrl',
  verify: (s) => {
    check(s.shortCode === 'sdk-alpha', `shortCode ${json(s.shortCode)}`);
    check(s.shortUrl === `${baseUrl}/sdk-alpha`, `shortUrl ${json(s.shortUrl)}, expected ${baseUrl}/sdk-alpha`);
    check(s.longUrl === ALPHA && s.title === 'Alpha' && s.crawlable === true && s.forwardQuery === true,
      `fields not as sent: ${json(s)}`);
    check(sameSet(s.tags, ['sdk-one', 'sdk-shared']), `tags ${json(s.tags)}`);
    check(s.meta.maxVisits === 100 && s.meta.validSince !== null && s.meta.validUntil === null, `meta ${json(s.meta)}`);
    check(s.domain === null, `domain ${json(s.domain)} (null for the default domain)`);
    check(s.visitsSummary.total === 0 && s.hasRedirectRules === false, `new link ${json(s)}`);
  },
}) ?? { shortCode: 'sdk-alpha' };

const beta = await expectOk('createShortUrl', 'generated code of length 6', [{
  longUrl: BETA,
  shortCodeLength: 6,
  tags: ['sdk-two', 'sdk-shared'],
}], {
  schema: 'ShortUrl',
  verify: (s) => check(s.shortCode.length === 6 && s.longUrl === BETA, `shortCode ${json(s.shortCode)}, longUrl ${json(s.longUrl)}`),
}) ?? { shortCode: 'sdk-beta-missing' };

const gamma = await expectOk('createShortUrl', 'no tags', [{ longUrl: GAMMA, customSlug: 'sdk-gamma' }], {
  schema: 'ShortUrl',
  verify: (s) => check(s.shortCode === 'sdk-gamma' && s.tags.length === 0 && s.title === null
    && s.crawlable === false && s.forwardQuery === true, `defaults ${json(s)}`),
}) ?? { shortCode: 'sdk-gamma' };

await expectOk('createShortUrl', 'findIfExists with the same slug returns the link', [{
  longUrl: GAMMA,
  customSlug: 'sdk-gamma',
  findIfExists: true,
}], {
  schema: 'ShortUrl',
  verify: (s) => check(s.shortCode === 'sdk-gamma' && s.dateCreated === gamma.dateCreated, `got ${json(s)}`),
});

await expectProblem('createShortUrl', 'slug in use', [{ longUrl: BETA, customSlug: 'sdk-alpha' }], {
  status: 400,
  type: ErrorType.INVALID_SLUG,
  schema: 'CreateShortUrlProblem',
  verify: (body) => check(body.customSlug === 'sdk-alpha', `customSlug ${json(body.customSlug)}`),
});

await expectOk('getShortUrl', '', [{ shortCode: alpha.shortCode }], {
  schema: 'ShortUrl',
  verify: (s) => check(s.shortCode === alpha.shortCode && s.longUrl === ALPHA, `got ${json(s)}`),
});
await expectOk('getShortUrl', 'domain DEFAULT', [{ shortCode: alpha.shortCode, domain: 'DEFAULT' }], { schema: 'ShortUrl' });
await expectProblem('getShortUrl', 'unknown code', [{ shortCode: 'sdk-nope' }], {
  status: 404,
  type: ErrorType.INVALID_SHORTCODE,
  schema: 'ShortUrlNotFound',
  verify: (body) => check(body.shortCode === 'sdk-nope', `shortCode ${json(body.shortCode)}`),
});

const validUntil = atom(30 * DAY);
await expectOk('updateShortUrl', '', [{ shortCode: alpha.shortCode }, {
  title: 'Alpha edited',
  maxVisits: null,
  validUntil,
  tags: ['sdk-one', 'sdk-shared', 'sdk-extra'],
}], {
  schema: 'ShortUrl',
  verify: (s) => {
    check(s.title === 'Alpha edited' && s.longUrl === ALPHA && s.crawlable === true, `fields ${json(s)}`);
    check(s.meta.maxVisits === null && s.meta.validUntil !== null, `meta ${json(s.meta)}`);
    check(sameSet(s.tags, ['sdk-one', 'sdk-shared', 'sdk-extra']), `tags ${json(s.tags)}`);
  },
});
await expectProblem('updateShortUrl', 'unknown code', [{ shortCode: 'sdk-nope' }, { title: 'x' }], {
  status: 404,
  type: ErrorType.INVALID_SHORTCODE,
  schema: 'ShortUrlNotFound',
});

// Listing, with each filter the SDK passes. Only our own links are judged, so that links
// another client made do not matter.
const ours = [alpha.shortCode, beta.shortCode, gamma.shortCode];
const oursIn = (list) => codes(list).filter((code) => ours.includes(code));
const expectList = (label, params, expected, extra) =>
  expectOk('listShortUrls', label, [params], {
    schema: 'ShortUrlsList',
    verify: (list) => {
      check(sameSet(oursIn(list), expected), `expected ${json(expected)} among ours, got ${json(codes(list))}`);
      if (extra) extra(list);
    },
  });

await expectList('no filter', undefined, ours, (list) =>
  check(list.pagination.totalItems >= 3 && list.pagination.currentPage === 1, `pagination ${json(list.pagination)}`));
await expectOk('listShortUrls', 'page 2 of 1 per page', [{ page: '2', itemsPerPage: 1 }], {
  schema: 'ShortUrlsList',
  verify: (list) => {
    const p = list.pagination;
    check(list.data.length === 1, `${list.data.length} items`);
    check(p.currentPage === 2 && p.itemsPerPage === 1 && p.itemsInCurrentPage === 1 && p.pagesCount === p.totalItems
      && p.totalItems >= 3, `pagination ${json(p)}`);
  },
});
await expectList('searchTerm', { searchTerm: 'sdk/gamma' }, [gamma.shortCode]);
await expectList('tags', { tags: ['sdk-one'] }, [alpha.shortCode]);
await expectList('tags, tagsMode any', { tags: ['sdk-one', 'sdk-two'], tagsMode: 'any' }, [alpha.shortCode, beta.shortCode]);
await expectList('tags, tagsMode all', { tags: ['sdk-one', 'sdk-shared'], tagsMode: 'all' }, [alpha.shortCode]);
await expectList('excludeTags', { excludeTags: ['sdk-one'] }, [beta.shortCode, gamma.shortCode]);
await expectList('excludeTags, excludeTagsMode all', { excludeTags: ['sdk-one', 'sdk-two'], excludeTagsMode: 'all' }, ours);
await expectList('excludeTags, excludeTagsMode any', { excludeTags: ['sdk-one', 'sdk-two'], excludeTagsMode: 'any' }, [gamma.shortCode]);
await expectList('tags and excludeTags', { tags: ['sdk-shared'], excludeTags: ['sdk-two'] }, [alpha.shortCode]);
await expectList('domain DEFAULT', { domain: 'DEFAULT' }, ours);
// Only the two custom slugs are compared: how a generated code (mixed case) sorts against them
// depends on the database's collation.
for (const dir of ['ASC', 'DESC']) {
  await expectList(`orderBy shortCode-${dir}`, { orderBy: { field: 'shortCode', dir } }, ours, (list) => {
    const slugs = codes(list).filter((code) => code === 'sdk-alpha' || code === 'sdk-gamma');
    const want = dir === 'ASC' ? ['sdk-alpha', 'sdk-gamma'] : ['sdk-gamma', 'sdk-alpha'];
    check(slugs.join() === want.join(), `order ${json(codes(list))}`);
  });
}
await expectList('orderBy longUrl-DESC', { orderBy: { field: 'longUrl', dir: 'DESC' } }, ours, (list) =>
  check(oursIn(list).join() === [gamma.shortCode, beta.shortCode, alpha.shortCode].join(), `order ${json(codes(list))}`));
await expectList('orderBy dateCreated-ASC', { orderBy: { field: 'dateCreated', dir: 'ASC' } }, ours);
await expectList('orderBy title-ASC', { orderBy: { field: 'title', dir: 'ASC' } }, ours);
await expectList('orderBy visits-DESC', { orderBy: { field: 'visits', dir: 'DESC' } }, ours);
await expectList('orderBy nonBotVisits-ASC', { orderBy: { field: 'nonBotVisits', dir: 'ASC' } }, ours);
await expectList('startDate and endDate', { startDate: atom(-DAY), endDate: atom(DAY) }, ours);
await expectList('endDate in the past', { endDate: atom(-DAY) }, []);
await expectList('excludeMaxVisitsReached, excludePastValidUntil',
  { excludeMaxVisitsReached: true, excludePastValidUntil: true }, ours);
if (apiKeyName) {
  await expectList('apiKeyName of our key', { apiKeyName }, ours);
}
await expectList('apiKeyName of no key', { apiKeyName: 'sdk-no-such-key' }, []);

// Visits: two on links (one from a bot), three orphans, then wait for the pipeline to store them.
const before = await waitForVisits(() => true);
const statuses = [
  await visit(`/${alpha.shortCode}`, BROWSER, 'https://referer.example/page'),
  await visit(`/${beta.shortCode}`, BOT),
  await visit('/', BROWSER),
  await visit('/sdk-missing', BROWSER),
  await visit('/sdk/missing/path', BROWSER),
];
if (statuses[0] !== 302 || statuses[1] !== 302) {
  console.log(`FAIL visits: the short URLs answered ${statuses.slice(0, 2)} instead of 302`);
  failures.push('visits');
}
await waitForVisits((o) => o.nonOrphanVisits.total >= before.nonOrphanVisits.total + 2
  && o.orphanVisits.total >= before.orphanVisits.total + 3);

await expectOk('getVisitsOverview', '', [], {
  schema: 'VisitsOverview',
  verify: (o) => {
    check(o.nonOrphanVisits.total >= 2 && o.nonOrphanVisits.bots >= 1 && o.nonOrphanVisits.nonBots >= 1,
      `nonOrphanVisits ${json(o.nonOrphanVisits)}`);
    check(o.orphanVisits.total >= 3, `orphanVisits ${json(o.orphanVisits)}`);
  },
});

await expectOk('getShortUrlVisits', '', [{ shortCode: alpha.shortCode }], {
  schema: 'VisitsList',
  verify: (v) => {
    check(v.data.length === 1 && v.pagination.totalItems === 1, `visits ${json(v)}`);
    const [one] = v.data;
    check(one.userAgent === BROWSER && one.referer === 'https://referer.example/page' && one.potentialBot === false,
      `visit ${json(one)}`);
  },
});
await expectOk('getShortUrlVisits', 'excludeBots, dates, paging', [{ shortCode: beta.shortCode }, {
  excludeBots: true,
  startDate: atom(-DAY),
  endDate: atom(DAY),
  page: 1,
  itemsPerPage: 10,
}], {
  schema: 'VisitsList',
  verify: (v) => check(v.data.length === 0 && v.pagination.totalItems === 0, `bot visit not excluded: ${json(v)}`),
});
await expectProblem('getShortUrlVisits', 'unknown code', [{ shortCode: 'sdk-nope' }], {
  status: 404,
  type: ErrorType.INVALID_SHORTCODE,
});

await expectOk('getTagVisits', '', ['sdk-shared'], {
  schema: 'VisitsList',
  verify: (v) => check(v.pagination.totalItems === 2, `expected the 2 visits of sdk-shared, got ${json(v)}`),
});
await expectOk('getTagVisits', 'excludeBots, domain DEFAULT', ['sdk-shared', { excludeBots: true, domain: 'DEFAULT' }], {
  schema: 'VisitsList',
  verify: (v) => check(v.pagination.totalItems === 1 && v.data.every((x) => !x.potentialBot), `got ${json(v)}`),
});
await expectProblem('getTagVisits', 'unknown tag', ['sdk-no-such-tag'], { status: 404, type: ErrorType.TAG_NOT_FOUND });

await expectOk('getDomainVisits', 'DEFAULT', ['DEFAULT'], {
  schema: 'VisitsList',
  verify: (v) => check(v.pagination.totalItems >= 2, `expected the link visits, got ${json(v)}`),
});
await expectOk('getDomainVisits', 'DEFAULT, excludeBots', ['DEFAULT', { excludeBots: true }], {
  schema: 'VisitsList',
  verify: (v) => check(v.data.length >= 1 && v.data.every((x) => !x.potentialBot), `got ${json(v)}`),
});
await expectProblem('getDomainVisits', 'unknown domain', ['sdk-unknown.example'], {
  status: 404,
  type: ErrorType.DOMAIN_NOT_FOUND,
});

await expectOk('getOrphanVisits', '', [], {
  schema: 'OrphanVisitsList',
  verify: (v) => {
    const types = v.data.map((x) => x.type);
    for (const type of ['base_url', 'invalid_short_url', 'regular_404']) {
      check(types.includes(type), `no ${type} orphan visit in ${json(v.data)}`);
    }
  },
});
await expectOk('getOrphanVisits', 'type invalid_short_url', [{ type: 'invalid_short_url' }], {
  schema: 'OrphanVisitsList',
  verify: (v) => check(v.data.length >= 1 && v.data.every((x) => x.type === 'invalid_short_url'), `got ${json(v.data)}`),
});

await expectOk('getNonOrphanVisits', '', [], {
  schema: 'VisitsList',
  verify: (v) => check(v.pagination.totalItems >= 2, `got ${json(v)}`),
});
await expectOk('getNonOrphanVisits', 'excludeBots, domain DEFAULT', [{ excludeBots: true, domain: 'DEFAULT' }], {
  schema: 'VisitsList',
  verify: (v) => check(v.data.length >= 1 && v.data.every((x) => !x.potentialBot), `got ${json(v)}`),
});

// Redirect rules.
await expectOk('getShortUrlRedirectRules', '', [{ shortCode: alpha.shortCode }], {
  schema: 'RedirectRulesList',
  verify: (r) => check(r.defaultLongUrl === ALPHA && r.redirectRules.length === 0, `got ${json(r)}`),
});
const rules = [
  { longUrl: 'https://example.com/sdk/android', conditions: [{ type: 'device', matchKey: null, matchValue: 'android' }] },
  {
    longUrl: 'https://example.com/sdk/fr-campaign',
    conditions: [
      { type: 'language', matchKey: null, matchValue: 'fr' },
      { type: 'query-param', matchKey: 'utm', matchValue: 'sdk' },
    ],
  },
];
await expectOk('setShortUrlRedirectRules', 'two rules', [{ shortCode: alpha.shortCode }, { redirectRules: rules }], {
  schema: 'RedirectRulesList',
  verify: (r) =>
    check(
      r.redirectRules.length === 2 &&
        r.redirectRules.every(
          (rule, i) =>
            rule.priority === i + 1 &&
            rule.longUrl === rules[i].longUrl &&
            rule.conditions.length === rules[i].conditions.length &&
            rule.conditions.every(
              (c, j) =>
                c.type === rules[i].conditions[j].type &&
                c.matchKey === rules[i].conditions[j].matchKey &&
                c.matchValue === rules[i].conditions[j].matchValue,
            ),
        ),
      `got ${json(r)}`,
    ),
});
await expectOk('getShortUrlRedirectRules', 'after setting two', [{ shortCode: alpha.shortCode }], {
  schema: 'RedirectRulesList',
  verify: (r) => check(r.redirectRules.map((rule) => rule.longUrl).join() === rules.map((rule) => rule.longUrl).join(), `got ${json(r)}`),
});
await expectOk('getShortUrl', 'with rules', [{ shortCode: alpha.shortCode }], {
  schema: 'ShortUrl',
  verify: (s) => check(s.hasRedirectRules === true, `got ${json(s)}`),
});
await expectProblem('setShortUrlRedirectRules', 'a rule without conditions', [{ shortCode: alpha.shortCode }, { redirectRules: [{ longUrl: 'https://example.com/x', conditions: [] }] }], {
  status: 400,
  type: ErrorType.INVALID_ARGUMENT,
});
await expectOk('setShortUrlRedirectRules', 'none', [{ shortCode: alpha.shortCode }, { redirectRules: [] }], {
  schema: 'RedirectRulesList',
  verify: (r) => check(r.redirectRules.length === 0, `got ${json(r)}`),
});
await expectProblem('getShortUrlRedirectRules', 'unknown code', [{ shortCode: 'sdk-nope' }], {
  status: 404,
  type: ErrorType.INVALID_SHORTCODE,
});

// Tags.
await expectOk('listTags', '', [], {
  schema: 'TagsList',
  verify: (t) => {
    for (const tag of ['sdk-one', 'sdk-two', 'sdk-shared', 'sdk-extra']) check(t.data.includes(tag), `${tag} missing: ${json(t)}`);
  },
});
await expectOk('tagsStats', '', [], {
  schema: 'TagsStatsList',
  verify: (t) => {
    const shared = t.data.find((x) => x.tag === 'sdk-shared');
    check(shared && shared.shortUrlsCount === 2 && shared.visitsSummary.total === 2 && shared.visitsSummary.bots === 1,
      `sdk-shared ${json(shared)}`);
  },
});
await expectOk('editTag', '', [{ oldName: 'sdk-two', newName: 'sdk-renamed' }], {
  status: 204,
  verify: async (renaming) => {
    check(renaming.oldName === 'sdk-two' && renaming.newName === 'sdk-renamed', `returned ${json(renaming)}`);
    const s = await client.getShortUrl({ shortCode: beta.shortCode });
    check(s.tags.includes('sdk-renamed') && !s.tags.includes('sdk-two'), `beta's tags ${json(s.tags)}`);
  },
});
await expectProblem('editTag', 'unknown tag', [{ oldName: 'sdk-no-such-tag', newName: 'sdk-whatever' }], {
  status: 404,
  type: ErrorType.TAG_NOT_FOUND,
});
await expectProblem('editTag', 'onto an existing tag', [{ oldName: 'sdk-one', newName: 'sdk-shared' }], {
  status: 409,
  type: ErrorType.TAG_CONFLICT,
});
await expectOk('deleteTags', '', [['sdk-renamed', 'sdk-extra']], {
  status: 204,
  verify: async (result) => {
    check(sameSet(result.tags, ['sdk-renamed', 'sdk-extra']), `returned ${json(result)}`);
    const tags = await client.listTags();
    check(!tags.data.includes('sdk-renamed') && !tags.data.includes('sdk-extra'), `still listed: ${json(tags.data)}`);
  },
});

// Domains.
let defaultDomain;
await expectOk('listDomains', '', [], {
  schema: 'DomainsList',
  verify: (d) => {
    const defaults = d.data.filter((x) => x.isDefault);
    check(defaults.length === 1, `expected one default domain: ${json(d.data)}`);
    defaultDomain = defaults[0].domain;
    check(defaultDomain === new URL(baseUrl).host, `default domain ${json(defaultDomain)}, expected ${new URL(baseUrl).host}`);
  },
});
const redirects = {
  baseUrlRedirect: 'https://example.com/sdk/base',
  regular404Redirect: null,
  invalidShortUrlRedirect: 'https://example.com/sdk/invalid',
};
await expectOk('editDomainRedirects', 'default domain', [{ domain: defaultDomain ?? new URL(baseUrl).host, ...redirects }], {
  schema: 'DomainRedirects',
  verify: (r) => check(JSON.stringify(r) === JSON.stringify(redirects), `got ${json(r)}`),
});

// Deletions.
await expectOk('deleteShortUrlVisits', '', [{ shortCode: alpha.shortCode }], {
  schema: 'DeleteVisitsResult',
  verify: async (r) => {
    check(r.deletedVisits === 1, `deletedVisits ${json(r.deletedVisits)}`);
    const left = await client.getShortUrlVisits({ shortCode: alpha.shortCode });
    check(left.pagination.totalItems === 0, `visits left: ${json(left)}`);
  },
});
await expectProblem('deleteShortUrlVisits', 'unknown code', [{ shortCode: 'sdk-nope' }], {
  status: 404,
  type: ErrorType.INVALID_SHORTCODE,
});
await expectOk('deleteOrphanVisits', '', [], {
  schema: 'DeleteVisitsResult',
  verify: async (r) => {
    check(r.deletedVisits >= 3, `deletedVisits ${json(r.deletedVisits)}`);
    const left = await client.getOrphanVisits();
    check(left.pagination.totalItems === 0, `orphan visits left: ${json(left.pagination)}`);
  },
});
await expectOk('deleteShortUrl', '', [{ shortCode: gamma.shortCode }], {
  status: 204,
  verify: async () => {
    const list = await client.listShortUrls();
    check(!codes(list).includes(gamma.shortCode), `${gamma.shortCode} still listed`);
  },
});
await expectProblem('deleteShortUrl', 'already deleted', [{ shortCode: gamma.shortCode }], {
  status: 404,
  type: ErrorType.INVALID_SHORTCODE,
  schema: 'ShortUrlNotFound',
});

// Real-time updates: this server has no Mercure hub, which Shlink reports as a documented error.
await expectProblem('mercureInfo', 'no hub', [], { status: 501, type: ErrorType.MERCURE_NOT_CONFIGURED });

// ---- every method called? ------------------------------------------------------------------

const methods = Object.getOwnPropertyNames(ShlinkApiClient.prototype)
  .filter((name) => name !== 'constructor' && typeof ShlinkApiClient.prototype[name] === 'function');
const missed = methods.filter((name) => !called.has(name));
if (missed.length > 0) {
  console.log(`FAIL coverage: ShlinkApiClient methods this script never calls: ${missed.join(', ')}`);
  failures.push('coverage');
} else {
  console.log(`ok coverage: all ${methods.length} ShlinkApiClient methods called`);
}

if (failures.length > 0) {
  console.log(`\n${failures.length} check(s) failed: ${[...new Set(failures)].join(', ')}`);
  process.exit(1);
}
console.log('\nall checks passed');
