-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "allowedRegions" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "defaultEnvironment" TEXT NOT NULL DEFAULT 'development',
ADD COLUMN     "homeRegion" TEXT;

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "dataPlaneId" TEXT;
