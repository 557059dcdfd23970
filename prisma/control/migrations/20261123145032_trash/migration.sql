-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "resumptions" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "TrashItem" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "dataPlaneId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "errorClass" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "edited" BOOLEAN NOT NULL DEFAULT false,
    "decidedBy" TEXT,
    "decidedAt" TIMESTAMP(3),
    "appliedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TrashItem_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TrashItem_tenantId_status_createdAt_id_idx" ON "TrashItem"("tenantId", "status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "TrashItem_tenantId_runId_idx" ON "TrashItem"("tenantId", "runId");

-- AddForeignKey
ALTER TABLE "TrashItem" ADD CONSTRAINT "TrashItem_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
