-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "ownerUserId" TEXT;

-- Keys made before owners were recorded act for the person who created them.
UPDATE "ApiKey" SET "ownerUserId" = "createdById" WHERE "createdById" IS NOT NULL AND ("createdByType" IS NULL OR "createdByType" = 'user');
