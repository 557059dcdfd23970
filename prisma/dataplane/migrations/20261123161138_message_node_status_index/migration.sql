-- CreateIndex
CREATE INDEX "Message_runId_nodeId_status_idx" ON "Message"("runId", "nodeId", "status");
