-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "availableAt" TIMESTAMP(3),
ADD COLUMN     "branch" JSONB,
ADD COLUMN     "history" JSONB;
