-- AlterTable
ALTER TABLE "AgentState" ADD COLUMN     "secretsKey" TEXT;

-- CreateTable
CREATE TABLE "TenantSecret" (
    "tenantId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TenantSecret_pkey" PRIMARY KEY ("tenantId","name")
);
