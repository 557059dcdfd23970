-- DropIndex
DROP INDEX "DataPlaneCommand_dataPlaneId_ackedAt_seq_idx";

-- CreateIndex
CREATE INDEX "DataPlaneCommand_dataPlaneId_ackedAt_tenantId_seq_idx" ON "DataPlaneCommand"("dataPlaneId", "ackedAt", "tenantId", "seq");
