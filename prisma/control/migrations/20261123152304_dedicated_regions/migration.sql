-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "plan" TEXT NOT NULL DEFAULT 'free';

-- AlterTable
ALTER TABLE "DataPlane" ADD COLUMN     "drainingAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "DedicatedRegion" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "size" TEXT NOT NULL,
    "driver" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'requested',
    "steps" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,
    "dataPlaneId" TEXT,
    "resources" JSONB NOT NULL DEFAULT '{}',
    "cleanup" BOOLEAN NOT NULL DEFAULT false,
    "requestedBy" TEXT,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "stateAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DedicatedRegion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DedicatedRegion_dataPlaneId_key" ON "DedicatedRegion"("dataPlaneId");

-- CreateIndex
CREATE INDEX "DedicatedRegion_tenantId_createdAt_idx" ON "DedicatedRegion"("tenantId", "createdAt");

-- CreateIndex
CREATE INDEX "DedicatedRegion_state_leaseUntil_idx" ON "DedicatedRegion"("state", "leaseUntil");

-- AddForeignKey
ALTER TABLE "DedicatedRegion" ADD CONSTRAINT "DedicatedRegion_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
