-- Brokers are consumers too: `serve --rabbitmq-url / --redis-url / --nats-url` keeps one row per
-- broker (named after it, kind rabbitmq / redis / nats, url = its address without the password,
-- secret unused), so their deliveries are queued, leased, retried and dead-lettered exactly as a
-- webhook's are.
ALTER TABLE webhooks ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook';
