-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "application" TEXT;

-- CreateTable
CREATE TABLE "ApplicationLimit" (
    "tenantId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "rateLimitRequests" INTEGER,
    "rateLimitPerSeconds" INTEGER,
    "concurrency" INTEGER,
    "pausedUntil" TIMESTAMP(3),
    "windowStart" TIMESTAMP(3),
    "windowCount" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ApplicationLimit_pkey" PRIMARY KEY ("tenantId","name")
);
