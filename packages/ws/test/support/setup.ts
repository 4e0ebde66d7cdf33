// The ws project's after-each check is the shared real-time one (also used by tcp).
export * from '../../../../test-support/real-time-leak-check.js';
