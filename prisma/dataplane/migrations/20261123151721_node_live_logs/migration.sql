-- CreateTable
CREATE TABLE "NodeLog" (
    "seq" BIGSERIAL NOT NULL,
    "tenantId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "level" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NodeLog_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE INDEX "NodeLog_runId_seq_idx" ON "NodeLog"("runId", "seq");

-- CreateIndex
CREATE INDEX "NodeLog_messageId_idx" ON "NodeLog"("messageId");

-- AddForeignKey
ALTER TABLE "NodeLog" ADD CONSTRAINT "NodeLog_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;
