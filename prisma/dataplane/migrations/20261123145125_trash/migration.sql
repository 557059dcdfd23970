-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "resumptions" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "TrashItem" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "error" JSONB NOT NULL,
    "attempts" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),

    CONSTRAINT "TrashItem_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TrashItem_tenantId_status_createdAt_idx" ON "TrashItem"("tenantId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "TrashItem_runId_idx" ON "TrashItem"("runId");

-- CreateIndex
CREATE INDEX "TrashItem_messageId_idx" ON "TrashItem"("messageId");
