/** The private servers the suites start (also what `npm run services` starts). */
export * from '../../src/config/private-services.js';
