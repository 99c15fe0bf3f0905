"""[notifications]: how the listener reads nova's notifications."""

from oslo_config import cfg

from graphcdm.notifications.envelope import DEFAULT_MAX_AHEAD

GROUP = "notifications"

OPTS = [
    cfg.StrOpt("transport_url", default="", secret=True,
               help="oslo.messaging transport URL of nova's notification bus. When empty, "
                    "[oslo_messaging_notifications] transport_url, then [DEFAULT] "
                    "transport_url, then rabbit://guest:guest@127.0.0.1:5672/ are used. "
                    "The broker options (durable or quorum queues, TLS, heartbeats) "
                    "are oslo.messaging's own, in [oslo_messaging_rabbit]. "
                    "Env: GRAPHCDM_TRANSPORT_URL. Its passwords are never logged."),
    cfg.StrOpt("exchange", default="nova",
               help="Exchange nova publishes notifications on."),
    cfg.ListOpt("topics", default=["versioned_notifications", "notifications"],
                help="Notification topics to listen to: nova's versioned topic and the "
                     "legacy one. Listen to both; duplicates are harmless."),
    cfg.StrOpt("pool", default="graphcdm",
               help="Listener pool name: graphcdm gets its own queue per topic, so it "
                    "does not steal messages from Watcher or other consumers. Every "
                    "graphcdm process of one deployment uses the same pool."),
    cfg.StrOpt("batching", default="group", choices=["group", "timeout"],
               help="How batches are formed. 'group' (group commit): as soon as an "
                    "executor thread is free it commits everything read so far, up to "
                    "batch_size; a notification in a quiet cloud is committed alone at "
                    "once, a busy stream makes large batches by itself. 'timeout': "
                    "oslo.messaging's batch listener, which waits up to batch_timeout for "
                    "batch_size notifications (that wait is the latency at low rates)."),
    cfg.IntOpt("batch_size", default=500, min=1,
               help="Most notifications applied in one Neo4j transaction."),
    cfg.FloatOpt("batch_timeout", default=0.2, min=0.0,
                 help="With batching = timeout only: seconds to wait for a batch to fill "
                      "before applying what came."),
    cfg.IntOpt("executor_threads", default=1, min=1,
               help="Batches one process commits concurrently. More than 1 rarely pays: "
                    "concurrent batches touching the same hosts deadlock in Neo4j and are "
                    "retried by the driver after a back-off. Raise batch_size first; several "
                    "processes on one pool are safe but contend the same way."),
    cfg.StrOpt("dead_letter_file", default="",
               help="If set, rejected (malformed) notifications are appended to this "
                    "JSON Lines file, which 'graphcdm replay' can read after a fix."),
    cfg.FloatOpt("requeue_backoff", default=5.0, min=0.0,
                 help="Seconds a batch waits before it is requeued when Neo4j cannot be "
                      "written (after the writer's own retries), so that the listener does "
                      "not spin on redeliveries during an outage."),
    cfg.IntOpt("max_payload_bytes", default=1048576, min=1024,
               help="Largest notification accepted, in bytes of its JSON (the message "
                    "oslo.messaging carries: envelope and payload). Larger ones are "
                    "rejected: replay measures each line before decoding it, the listener "
                    "measures the decoded message (oslo.messaging decodes bodies before "
                    "any consumer sees them; set RabbitMQ's max_message_size to refuse "
                    "huge bodies at the broker)."),
    cfg.FloatOpt("max_clock_ahead", default=DEFAULT_MAX_AHEAD, min=0.0,
                 help="Seconds a notification's timestamp (the emitter's clock) may be "
                      "ahead of this receiver's clock. A later timestamp is clamped to "
                      "now + this, logged and counted (graphcdm_notifications_clamped_total): "
                      "the change applies, and any resync starting this long after it "
                      "arrived corrects what the lying clock said. Keep it above the "
                      "clock skew of the cloud's hosts."),
]
