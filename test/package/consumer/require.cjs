// A CommonJS consumer: require() of the package (an ES module; Node >= 22.12).
const herald = require('herald');
const backends = new herald.StaticBackends(['127.0.0.1:8080', '[::1]:8081']).backends().map((b) => `${b.address}:${b.port}`);
console.log(JSON.stringify({ BalancedAgent: typeof herald.BalancedAgent, lookup: typeof herald.lookup, backends }));
