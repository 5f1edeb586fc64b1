CREATE TABLE "client_change_counters" (
	"user_id" text PRIMARY KEY NOT NULL,
	"last_seq" bigint NOT NULL,
	"watched" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "client_changes" (
	"user_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"op" text NOT NULL,
	"client" jsonb NOT NULL,
	"recorded_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "client_changes_pkey" PRIMARY KEY("user_id","seq")
);
--> statement-breakpoint
CREATE INDEX "client_changes_recorded_at_idx" ON "client_changes" USING btree ("recorded_at");