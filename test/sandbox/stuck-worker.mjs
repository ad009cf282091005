// A worker whose model loops forever: used to check the pool's deadline (test/sandbox/pool.test.ts).
process.on('message', (m) => { if (m.t === 'predict') for (;;) {} });
process.on('message', (m) => { if (m.t === 'load') process.send({ t: 'loaded', id: m.id, info: {} }); });
process.on('disconnect', () => process.exit(0));
process.send({ t: 'ready' });
