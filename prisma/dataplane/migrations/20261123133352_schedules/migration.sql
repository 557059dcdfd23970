-- CreateTable
CREATE TABLE "Schedule" (
    "workflowId" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "workflowVersionId" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL,
    "missed" TEXT NOT NULL,
    "nextAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Schedule_pkey" PRIMARY KEY ("workflowId")
);

-- CreateIndex
CREATE INDEX "Schedule_nextAt_idx" ON "Schedule"("nextAt");
