CREATE TABLE "clients" (
	"user_id" text NOT NULL,
	"id" text NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"phone" text,
	"company" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "clients_pkey" PRIMARY KEY("user_id","id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "clients_user_id_email_key" ON "clients" USING btree ("user_id",lower("email"));--> statement-breakpoint
CREATE INDEX "clients_user_id_created_at_id_idx" ON "clients" USING btree ("user_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);