// node-postgres (pg + pg-cursor) through the conformance checklist: node client.js OUT.json
'use strict';
const fs = require('fs');
const path = require('path');
const net = require('net');
const { Client } = require('pg');
const Cursor = require('pg-cursor');

const HOST = process.env.FW_CONF_HOST || '127.0.0.1';
const PORT = Number(process.env.FW_CONF_PORT || 5433);
const STREAM_PORT = process.env.FW_CONF_STREAM_PORT;
const TYPES_SQL = fs.readFileSync(path.join(__dirname, '..', 'types.sql'), 'utf8').trim();
// connect_tls: the require-mode flinkwire of conformance/run.sh (see clients/harness.py).
const TLS = {
  host: process.env.FW_CONF_TLS_HOST || 'localhost', port: Number(process.env.FW_CONF_TLS_PORT), ca: process.env.FW_CONF_TLS_CA,
  otherCa: process.env.FW_CONF_TLS_OTHER_CA, user: process.env.FW_CONF_TLS_USER, password: process.env.FW_CONF_TLS_PASSWORD,
};
const out = process.argv[2] || '/tmp/node.json';
const clients = [];

class Skip extends Error {}
class Fail extends Error {}
const expect = (what, got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Fail(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
};

async function connect(port = PORT) {
  const c = new Client({ host: HOST, port, user: 'test', database: 'default_catalog', connectionTimeoutMillis: 10000 });
  c.on('error', () => {}); // connections are torn down after each check
  clients.push(c);
  await c.connect();
  return c;
}

// A client for the TLS server: verify-full (the CA, host name localhost) and SCRAM with channel
// binding; `mechanisms` collects the SASL mechanism each connection chose.
async function connectTls({ ssl = true, ca = TLS.ca, password = TLS.password, mechanisms = [] } = {}) {
  const c = new Client({
    host: TLS.host, port: TLS.port, user: TLS.user, password, database: 'default_catalog', connectionTimeoutMillis: 15000,
    ssl: ssl && { ca: fs.readFileSync(ca), servername: TLS.host, rejectUnauthorized: true }, enableChannelBinding: true,
  });
  c.on('error', () => {});
  clients.push(c);
  const send = c.connection.sendSASLInitialResponseMessage.bind(c.connection);
  c.connection.sendSASLInitialResponseMessage = (mechanism, response) => { mechanisms.push(mechanism); return send(mechanism, response); };
  await c.connect();
  return c;
}

async function expectRefused(what, connect, test) {
  let c;
  try { c = await connect(); } catch (e) {
    if (!test(e)) throw new Fail(`${what}: refused, but with ${e.code || ''} ${String(e.message).split('\n')[0]}`);
    return;
  }
  await c.end();
  throw new Fail(`${what}: connected`);
}

// A CancelRequest on a new connection (node-postgres has no public cancel API).
function cancel(c) {
  return new Promise((resolve) => {
    const s = net.connect(c.port, c.host, () => {
      const b = Buffer.alloc(16);
      b.writeInt32BE(16, 0); b.writeInt32BE(80877102, 4); b.writeInt32BE(c.processID, 8); b.writeInt32BE(c.secretKey, 12);
      s.end(b, resolve);
    });
    s.on('error', resolve);
  });
}

const checks = {
  connect: async () => { const c = await connect(); expect('select', (await c.query('SELECT 1 AS x')).rows, [{ x: 1 }]); },
  connect_tls: async () => {
    if (!TLS.port || !TLS.ca || !TLS.user || !TLS.password) {
      throw new Skip('no TLS flinkwire (FW_CONF_TLS_PORT, FW_CONF_TLS_CA, FW_CONF_TLS_USER, FW_CONF_TLS_PASSWORD)');
    }
    const mechanisms = [];
    const c = await connectTls({ mechanisms });
    const stream = c.connection.stream;
    if (!stream.encrypted || !stream.authorized) throw new Fail(`TLS: encrypted=${stream.encrypted} authorized=${stream.authorized}`);
    expect('SASL mechanism', mechanisms, ['SCRAM-SHA-256-PLUS']);
    expect('current_user', (await c.query('SELECT current_user AS u')).rows, [{ u: TLS.user }]);
    expect('row', (await c.query('SELECT customer FROM orders WHERE order_id = 3')).rows, [{ customer: 'carol' }]);
    await expectRefused('ssl: false', () => connectTls({ ssl: false }), (e) => e.code === '28000');
    await expectRefused('wrong password', () => connectTls({ password: 'wrong' }), (e) => e.code === '28P01');
    if (TLS.otherCa) {
      await expectRefused('another CA', () => connectTls({ ca: TLS.otherCa }), (e) => /CERT|VERIFY|SIGNATURE|ISSUER/.test(e.code || ''));
    }
    return `ssl: {ca, servername: localhost, rejectUnauthorized: true}: verify-full (stream.authorized${TLS.otherCa ? '; another CA refused' : ''}) `
      + '+ SCRAM-SHA-256-PLUS (enableChannelBinding, the mechanism it sent); plaintext refused 28000; wrong password 28P01';
  },
  simple_query: async () => {
    const c = await connect();
    const r = await c.query('SELECT order_id, customer FROM orders ORDER BY order_id');
    expect('first row', r.rows[0], { order_id: 1, customer: 'alice' });
  },
  param_query: async () => {
    const c = await connect();
    const r = await c.query('SELECT customer FROM orders WHERE order_id = $1 AND customer = $2', [3, 'carol']);
    expect('rows', r.rows, [{ customer: 'carol' }]);
  },
  types: async () => {
    const c = await connect();
    const r = (await c.query(TYPES_SQL)).rows[0];
    const want = {
      c_bool: (v) => v === true, c_tinyint: (v) => v === 1, c_smallint: (v) => v === 2, c_int: (v) => v === 3,
      c_bigint: (v) => v === '4', c_float: (v) => v === 1.5, c_double: (v) => v === 2.25, c_decimal: (v) => v === '12.34',
      c_char: (v) => v === 'ab ', c_varchar: (v) => v === 'xyz', c_string: (v) => v === 'hello',
      c_bytes: (v) => Buffer.isBuffer(v) && v.equals(Buffer.from([1, 2, 255])),
      c_date: (v) => v instanceof Date, c_time: (v) => v === '12:34:56',
      c_timestamp: (v) => v instanceof Date, c_timestamp_ltz: (v) => v instanceof Date && v.toISOString() === '2024-01-02T03:04:05.000Z',
      c_interval: (v) => v && v.days === 2, c_array: (v) => JSON.stringify(v) === '[1,2,3]',
      c_map: (v) => JSON.stringify(v) === '{"k":1}', c_row: (v) => v && typeof v === 'object',
    };
    const bad = Object.entries(want).filter(([k, f]) => !f(r[k])).map(([k]) => `${k}: ${typeof r[k]} ${JSON.stringify(r[k])}`);
    if (bad.length) throw new Fail(bad.join('; '));
  },
  metadata: async () => {
    const c = await connect();
    const r = await c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'default_database'");
    const names = r.rows.map((x) => x.table_name);
    if (!['orders', 'products', 'big_orders'].every((t) => names.includes(t))) throw new Fail(`tables: ${names}`);
    return 'information_schema.tables';
  },
  error_sqlstate: async () => {
    const c = await connect();
    try { await c.query('SELECT * FROM no_such_table'); throw new Fail('no error'); } catch (e) {
      if (e instanceof Fail) throw e;
      expect('sqlstate', e.code, '42P01');
    }
    expect('after error', (await c.query('SELECT 1 AS x')).rows, [{ x: 1 }]);
  },
  cancel: async () => {
    const c = await connect();
    setTimeout(() => cancel(c), 2000);
    const t = Date.now();
    try { await c.query('SELECT COUNT(*) FROM slow'); throw new Fail('query finished instead of being cancelled'); } catch (e) {
      if (e instanceof Fail) throw e;
      expect('sqlstate', e.code, '57014');
    }
    if (Date.now() - t > 15000) throw new Fail(`cancelled only after ${(Date.now() - t) / 1000}s`);
    return 'CancelRequest with the backend key';
  },
  streaming: async () => {
    if (!STREAM_PORT) throw new Skip('no streaming-mode flinkwire (FW_CONF_STREAM_PORT)');
    const c = await connect(Number(STREAM_PORT));
    const cur = c.query(new Cursor('SELECT id, label FROM endless'));
    let n = 0;
    while (n < 20) {
      const rows = await cur.read(10);
      if (!rows.length) break;
      n += rows.length;
    }
    expect('rows fetched', n, 20);
    await cur.close();
    return 'pg-cursor, 10 rows per read';
  },
};

(async () => {
  const results = {};
  for (const [name, fn] of Object.entries(checks)) {
    let status = 'pass', reason = '';
    if (typeof fn === 'string') { status = 'skip'; reason = fn; } else {
      const limit = name === 'cancel' || name === 'streaming' ? 25000 : 60000;
      let timer;
      try {
        reason = (await Promise.race([fn(), new Promise((_, rej) => { timer = setTimeout(() => rej(new Fail(`no answer within ${limit / 1000}s`)), limit); })])) || '';
      } catch (e) {
        status = e instanceof Skip ? 'skip' : 'fail';
        reason = (e instanceof Skip || e instanceof Fail ? '' : `${e.constructor.name} ${e.code || ''}: `) + String(e.message).split('\n')[0];
      } finally { clearTimeout(timer); }
    }
    for (const c of clients.splice(0)) { try { c.connection.stream.destroy(); } catch (_) { /* closed */ } }
    results[name] = { status, reason: reason.slice(0, 300) };
    process.stderr.write(`  ${'node-postgres'.padEnd(16)} ${name.padEnd(15)} ${status.padEnd(5)} ${reason}\n`);
    fs.writeFileSync(out, JSON.stringify(results, null, 1));
  }
  process.exit(0);
})();
