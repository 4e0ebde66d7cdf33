// The tcp project's after-each check is the shared real-time one (also used by ws).
export * from '../../../../test-support/real-time-leak-check.js';
