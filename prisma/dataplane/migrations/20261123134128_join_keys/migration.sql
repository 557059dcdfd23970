-- DropIndex
DROP INDEX "NodeResult_runId_idx";

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "joinKey" TEXT;

-- CreateIndex
CREATE INDEX "Message_runId_joinKey_idx" ON "Message"("runId", "joinKey");

-- CreateIndex
CREATE INDEX "NodeResult_runId_nodeId_idx" ON "NodeResult"("runId", "nodeId");
