import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { SHOP_SETTINGS, type ShopSettings } from '../config/shop-config.provider';
import { connectPostgres, type Database, startPglite } from './database';
import { migrate } from './schema';

/** Injection token of the shop's `Database`. */
export const DATABASE = Symbol.for('sagaline:example:database');

/** Connects to PostgreSQL (`DATABASE_URL`) or starts PGlite, and migrates the shop's tables. */
@Global()
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [SHOP_SETTINGS],
      useFactory: async (settings: ShopSettings) => {
        const db = settings.databaseUrl
          ? await connectPostgres(settings.databaseUrl, settings.databaseSchema)
          : await startPglite(settings.databaseSchema, settings.pgliteDir);
        await migrate(db);
        return db;
      },
    },
  ],
  exports: [DATABASE],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}
