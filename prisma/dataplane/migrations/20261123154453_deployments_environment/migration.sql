-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "environment" TEXT;

-- CreateTable
CREATE TABLE "Deployment" (
    "tenantId" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "workflowVersionId" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Deployment_pkey" PRIMARY KEY ("tenantId","workflowId","environment")
);
